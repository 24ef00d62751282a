import type { Migration, MigrationProvider } from 'kysely'
import type { Engine } from '../database.js'
import { initial } from './0001-initial.js'
import { authentication } from './0002-authentication.js'
import { auditChain } from './0003-audit-chain.js'
import { userAdmin } from './0004-user-admin.js'
import { latestCodeIndex } from './0005-latest-code-index.js'

/**
 * Every migration, in order. Migrations are code, numbered `NNNN-name`; Kysely applies them by
 * name order and refuses a database that has one this list lacks. A shipped migration is never
 * edited or removed: add the next number instead.
 */
const MIGRATIONS: Readonly<Record<string, (engine: Engine) => Migration>> = {
  '0001-initial': initial,
  '0002-authentication': authentication,
  '0003-audit-chain': auditChain,
  '0004-user-admin': userAdmin,
  '0005-latest-code-index': latestCodeIndex,
}

/** The in-code migration provider for one engine (migrations branch on it where SQL differs). */
export const migrations = (engine: Engine): MigrationProvider => ({
  getMigrations: async () =>
    Object.fromEntries(Object.entries(MIGRATIONS).map(([name, make]) => [name, make(engine)])),
})

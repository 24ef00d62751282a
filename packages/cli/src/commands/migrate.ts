import { migrateToLatest, openDatabase } from '@tokendesk/storage'
import { explainStorageError, loadCliConfig } from '../local.js'
import { out } from '../output.js'
import { parse } from '../usage.js'

/**
 * `tokendesk migrate`: applies pending migrations (as `serve` does at start-up) and prints
 * them, one `applied: <name>` line each, then `version: <latest migration>`. It needs only the
 * database, not the server secret, and creates the database if there is none.
 */
export const migrate = async (args: readonly string[]): Promise<void> => {
  const { values } = parse(args, { config: { type: 'string' } })
  const config = loadCliConfig(values.config, { needsSecretKey: false })
  const db = openDatabase(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
  })
  try {
    const status = await migrateToLatest(db)
    for (const name of status.applied) out(`applied: ${name}`)
    out(`version: ${status.current ?? 'none'}`)
  } catch (error) {
    throw explainStorageError(config, error)
  } finally {
    await db.destroy()
  }
}

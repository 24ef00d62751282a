import type { Repositories } from '@tokendesk/core'
import type { Kysely } from 'kysely'
import type { Engine } from '../database.js'
import { mapDriverError } from '../driver-errors.js'
import type { Database } from '../schema.js'
import { agentKeyRepository } from './agent-keys.js'
import { apiKeyRepository } from './api-keys.js'
import { auditRepository } from './audit.js'
import { authnAttemptRepository } from './authn-attempts.js'
import { companyRepository } from './companies.js'
import { emergencyCodeRepository } from './emergency-codes.js'
import { lockRepository } from './locks.js'
import { tokenRepository } from './tokens.js'
import { totpAuthenticatorRepository } from './totp-authenticators.js'
import { userRepository } from './users.js'

/**
 * Every repository, running on `db` (the pool, or one transaction's connection);
 * `chainHeads`: see `RepositoryContext`.
 */
export const createRepositories = (
  db: Kysely<Database>,
  engine: Engine,
  chainHeads?: Map<string, string>,
): Repositories => {
  const context = { db, engine, ...(chainHeads && { chainHeads }) }
  return {
    companies: guarded(companyRepository(context)),
    users: guarded(userRepository(context)),
    emergencyCodes: guarded(emergencyCodeRepository(context)),
    locks: guarded(lockRepository(context)),
    tokens: guarded(tokenRepository(context)),
    apiKeys: guarded(apiKeyRepository(context)),
    audit: guarded(auditRepository(context)),
    agentKeys: guarded(agentKeyRepository(context)),
    authnAttempts: guarded(authnAttemptRepository(context)),
    totpAuthenticators: guarded(totpAuthenticatorRepository(context)),
  }
}

/** Every method of the repository, with driver errors mapped (`mapDriverError`). */
const guarded = <R extends object>(repository: R): R => {
  const wrapped: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(repository)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await method(...args)
      } catch (error) {
        throw mapDriverError(error)
      }
    }
  }
  return wrapped as R
}

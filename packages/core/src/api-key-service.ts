import type { ApiKey, ApiKeyFile } from './api-keys.js'
import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError } from './errors.js'
import { isUuid } from './ids.js'
import type { Role } from './roles.js'

/** A failed request authentication whose token names a key (admin-api.md §3). */
export interface AuthenticationFailure {
  /** The `sub` the token claims: an accessID, not proven. */
  accessId: string
  /** The rule the token failed (`signature`, `expired`, `audience`, `revoked`, …). */
  reason: string
  requestId: string | null
  sourceIp: string | null
}

export interface CreatedApiKey {
  key: ApiKey
  /** Handed out once: the only copy of the private key. */
  file: ApiKeyFile
}

/**
 * Administration API keys (admin-api.md §2): RSA-2048 pairs of which the server keeps only the
 * public half. At most `maxActiveApiKeys` active keys per company. Revocation is immediate.
 */
export const createApiKeyService = (
  deps: Pick<
    Deps,
    'store' | 'clock' | 'random' | 'keyPairs' | 'adminRestApiUrl' | 'maxActiveApiKeys'
  >,
) => {
  const { store, clock, random, keyPairs } = deps

  return {
    async create(
      ctx: OperationContext,
      input: { role: Role; description?: string | null },
    ): Promise<CreatedApiKey> {
      const description = input.description ?? null
      if (description !== null && description.length > 255) {
        throw new DomainError('VALIDATION_FAILED', {
          message: 'description is at most 255 characters.',
        })
      }
      const pair = await keyPairs.generateRsaKeyPair()
      return store.transaction(async (tx) => {
        const company = await tx.companies.findById(ctx.companyId)
        if (!company) throw new DomainError('COMPANY_NOT_FOUND')
        if ((await tx.apiKeys.countActive(company.id)) >= deps.maxActiveApiKeys) {
          throw new DomainError('API_KEY_LIMIT_REACHED', {
            message: `The company already has ${deps.maxActiveApiKeys} active API keys.`,
          })
        }
        const now = clock.now()
        const key: ApiKey = {
          accessId: random.uuid(),
          companyId: company.id,
          role: input.role,
          description,
          publicKeyPem: pair.publicKeyPem,
          createdAt: now,
          lastUsedAt: null,
          revokedAt: null,
        }
        await tx.apiKeys.insert(key)
        await audit(tx, ctx, now, {
          action: 'api_key.created',
          targetType: 'api_key',
          targetId: key.accessId,
          details: { role: key.role },
        })
        return {
          key,
          file: {
            customerName: company.name,
            accessID: key.accessId,
            description,
            accessKey: pair.privateKeyPem,
            adminRestApiUrl: deps.adminRestApiUrl,
          },
        }
      })
    },

    list: (ctx: OperationContext): Promise<ApiKey[]> => store.read.apiKeys.list(ctx.companyId),

    /**
     * Audits a failed authentication (admin-api.md §3) in the company of the key its token
     * names, revoked keys included: `api_key.authentication_failed`, the actor being the key
     * claimed (not proven), with the reason and the client address, never the token. A token
     * that names no key proves no company: nothing is written, and the answer is `false`.
     * Whether to record at all (the address's failure budget) is the caller's decision.
     */
    async recordAuthenticationFailure(failure: AuthenticationFailure): Promise<boolean> {
      // Every accessID is a UUID: anything else names no key, and costs no read.
      if (!isUuid(failure.accessId)) return false
      const key = await store.read.apiKeys.findByAccessId(failure.accessId)
      if (!key) return false
      const ctx: OperationContext = {
        companyId: key.companyId,
        actor: { type: 'api_key', id: key.accessId, role: key.role },
        requestId: failure.requestId,
        sourceIp: failure.sourceIp,
      }
      await store.transaction((tx) =>
        audit(tx, ctx, clock.now(), {
          action: 'api_key.authentication_failed',
          targetType: 'api_key',
          targetId: key.accessId,
          result: 'failure',
          reason: failure.reason,
        }),
      )
      return true
    },

    async revoke(ctx: OperationContext, accessId: string): Promise<ApiKey> {
      return store.transaction(async (tx) => {
        const existing = await tx.apiKeys.findByAccessId(accessId)
        if (!existing || existing.companyId !== ctx.companyId) {
          throw new DomainError('API_KEY_NOT_FOUND', { message: `API key ${accessId} not found` })
        }
        if (existing.revokedAt !== null) return existing
        const now = clock.now()
        const revoked = await tx.apiKeys.revoke(ctx.companyId, accessId, now)
        if (!revoked) throw new DomainError('API_KEY_NOT_FOUND')
        await audit(tx, ctx, now, {
          action: 'api_key.revoked',
          targetType: 'api_key',
          targetId: accessId,
        })
        return revoked
      })
    },
  }
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>

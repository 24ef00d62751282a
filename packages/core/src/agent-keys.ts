import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError } from './errors.js'

/**
 * Agent keys (authn-api.md "Credential", admin-api.md §2): the `client-key` of the
 * Authentication API. 40+ random characters `[a-z0-9]`; the server keeps only a keyed hash,
 * so the clear key is handed out once, in the agent key file.
 */
export interface AgentKey {
  id: string
  companyId: string
  description: string | null
  createdAt: number
  revokedAt: number | null
}

export interface NewAgentKey extends AgentKey {
  /** `SecretBox.hash('agent-key', key)`; never the key. */
  keyHash: string
}

export interface AgentKeyFile {
  customerName: string
  clientKeyId: string
  clientKey: string
  authnApiUrl: string
}

export interface AgentKeyRepository {
  insert(key: NewAgentKey): Promise<void>
  /** The key whose hash this is, revoked or not. */
  findByHash(keyHash: string): Promise<AgentKey | undefined>
  list(companyId: string): Promise<AgentKey[]>
  /** Marks the key revoked (once); returns it as it now is, or undefined if unknown. */
  revoke(companyId: string, id: string, at: number): Promise<AgentKey | undefined>
}

export const AGENT_KEY_LENGTH = 48
const AGENT_KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
/** Longest `client-key` header worth hashing; anything longer names no key. */
export const MAX_AGENT_KEY_LENGTH = 256

/** A key drawn by rejection sampling (no modulo bias): 48 symbols, about 248 bits. */
export const generateAgentKey = (random: Deps['random']): string => {
  const limit = 256 - (256 % AGENT_KEY_ALPHABET.length)
  let key = ''
  while (key.length < AGENT_KEY_LENGTH) {
    for (const byte of random.bytes(AGENT_KEY_LENGTH * 2)) {
      if (byte >= limit) continue
      key += AGENT_KEY_ALPHABET[byte % AGENT_KEY_ALPHABET.length]
      if (key.length === AGENT_KEY_LENGTH) break
    }
  }
  return key
}

export const createAgentKeyService = (
  deps: Pick<Deps, 'store' | 'clock' | 'random' | 'secrets' | 'authnApiUrl'>,
) => {
  const { store, clock, random, secrets } = deps

  return {
    async create(
      ctx: OperationContext,
      input: { description?: string | null } = {},
    ): Promise<{ key: AgentKey; file: AgentKeyFile }> {
      const description = input.description ?? null
      if (description !== null && description.length > 255) {
        throw new DomainError('VALIDATION_FAILED', {
          message: 'description is at most 255 characters.',
        })
      }
      const clear = generateAgentKey(random)
      return store.transaction(async (tx) => {
        const company = await tx.companies.findById(ctx.companyId)
        if (!company) throw new DomainError('COMPANY_NOT_FOUND')
        const now = clock.now()
        const key: AgentKey = {
          id: random.uuid(),
          companyId: company.id,
          description,
          createdAt: now,
          revokedAt: null,
        }
        await tx.agentKeys.insert({ ...key, keyHash: secrets.hash('agent-key', clear) })
        await audit(tx, ctx, now, {
          action: 'agent_key.created',
          targetType: 'agent_key',
          targetId: key.id,
        })
        return {
          key,
          file: {
            customerName: company.name,
            clientKeyId: key.id,
            clientKey: clear,
            authnApiUrl: deps.authnApiUrl ?? '',
          },
        }
      })
    },

    list: (ctx: OperationContext): Promise<AgentKey[]> => store.read.agentKeys.list(ctx.companyId),

    async revoke(ctx: OperationContext, id: string): Promise<AgentKey> {
      return store.transaction(async (tx) => {
        const now = clock.now()
        const revoked = await tx.agentKeys.revoke(ctx.companyId, id, now)
        if (!revoked) {
          throw new DomainError('AGENT_KEY_NOT_FOUND', { message: `Agent key ${id} not found` })
        }
        if (revoked.revokedAt === now) {
          await audit(tx, ctx, now, {
            action: 'agent_key.revoked',
            targetType: 'agent_key',
            targetId: id,
          })
        }
        return revoked
      })
    },

    /**
     * The active key a `client-key` header names, or undefined. The lookup is by keyed hash,
     * so no comparison of the clear key ever happens (nothing to time). It reads afresh, so that
     * a revocation made anywhere before the request is seen.
     */
    async authenticate(clientKey: string | undefined): Promise<AgentKey | undefined> {
      if (!clientKey || clientKey.length > MAX_AGENT_KEY_LENGTH) return undefined
      store.refreshReads()
      const key = await store.read.agentKeys.findByHash(secrets.hash('agent-key', clientKey))
      return key && key.revokedAt === null ? key : undefined
    },
  }
}

export type AgentKeyService = ReturnType<typeof createAgentKeyService>

import { createPublicKey, type KeyObject } from 'node:crypto'
import { type ApiKey, type Clock, DomainError, type Role, type Store } from '@tokendesk/core'
import { compactVerify, decodeProtectedHeader } from 'jose'
import { audienceMatches } from './audience.js'

/**
 * Request authentication for the administration API (admin-api.md §3). The client signs an RS256
 * JWT with its key file's private key; the server accepts it only if, in this order:
 *  1. the header's `alg` is RS256 and `typ`, when present, is JWT;      → "Unsupported token"
 *  2. `sub` is the accessID of an active (not revoked) key;             → "…Access Id…"
 *  3. the signature verifies with that key's public key;                → "Server failed to process…"
 *  4. `exp` and `iat` are JSON numbers (fractions allowed);             → "Server failed to process…"
 *  5. exp > now-60, iat <= now+60, exp-iat <= 3660 (1 h + 60 s skew);   → "…expired…"
 *  6. `aud` matches the deployment's admin URL (see audience.ts).      → "Invalid audience"
 * Header parameters that name keys (`kid`, `jku`, `x5u`, `jwk`) are never used: the key is always
 * the stored public key of `sub`. A failure's details carry its `reason` and, once the token's
 * `sub` could be read, that claimed `accessId` (so that it can be audited in that key's company).
 *
 * Verified tokens are cached until `exp` (signature checks dominate the cost). The key itself
 * (its revocation) is read afresh (`store.refreshReads`) in every turn of the event loop, once for
 * all the requests that turn handles: they all arrived before the read, so a key revoked before a
 * request arrived is refused (another node's or the CLI's revocation included); this process's
 * own revocations are applied at once through `forget`.
 */
export interface Principal {
  accessId: string
  companyId: string
  role: Role
}

export interface Authenticator {
  authenticate(token: string | undefined): Promise<Principal>
  /** The key was revoked: read it again on its next use. */
  forget(accessId: string): void
}

const SKEW_S = 60
const MAX_LIFETIME_S = 3600
const MAX_TOKEN_LENGTH = 8192
const CACHE_LIMIT = 10_000
const TOUCH_INTERVAL_MS = 60_000

const fail = (
  message: string,
  reason: string,
  accessId?: string,
): DomainError<'AUTHENTICATION_FAILED'> =>
  new DomainError('AUTHENTICATION_FAILED', {
    message,
    details: accessId === undefined ? { reason } : { reason, accessId },
  })

const PROCESS_FAILED = 'Server failed to process provided access token'

interface VerifiedToken {
  accessId: string
  exp: number
  iat: number
}

const decodeSegment = (segment: string): unknown => {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

export const createAuthenticator = (deps: {
  store: Pick<Store, 'read' | 'refreshReads'>
  clock: Clock
  audiences: ReadonlySet<string>
}): Authenticator => {
  const { store, clock, audiences } = deps
  const verified = new Map<string, VerifiedToken>()
  const publicKeys = new Map<string, KeyObject>()

  const publicKeyOf = (key: ApiKey): KeyObject => {
    let publicKey = publicKeys.get(key.accessId)
    if (!publicKey) {
      publicKey = createPublicKey(key.publicKeyPem)
      publicKeys.set(key.accessId, publicKey)
    }
    return publicKey
  }

  const keysThisTurn = new Map<string, Promise<ApiKey | undefined>>()
  const clearKeys = () => keysThisTurn.clear()
  const keyOf = (accessId: string): Promise<ApiKey | undefined> => {
    let key = keysThisTurn.get(accessId)
    if (key === undefined) {
      if (keysThisTurn.size === 0) setImmediate(clearKeys)
      store.refreshReads()
      key = store.read.apiKeys.findByAccessId(accessId)
      keysThisTurn.set(accessId, key)
    }
    return key
  }

  const activeKey = async (accessId: string): Promise<ApiKey> => {
    const key = await keyOf(accessId)
    if (!key || key.revokedAt !== null) {
      throw fail(
        'Invalid Access Id: no active API key has this accessID',
        key ? 'revoked' : 'unknown_access_id',
        accessId,
      )
    }
    return key
  }

  /** `lastUsedAt`, written at most once a minute per key; informational, so never fatal. */
  const touch = async (key: ApiKey): Promise<void> => {
    const now = clock.now()
    if (key.lastUsedAt !== null && now - key.lastUsedAt < TOUCH_INTERVAL_MS) return
    await store.read.apiKeys.touch(key.accessId, now).catch(() => undefined)
  }

  const checkTimes = (exp: number, iat: number, accessId: string): void => {
    const now = clock.now() / 1000
    if (
      !(exp > now - SKEW_S) ||
      !(iat <= now + SKEW_S) ||
      !(exp - iat <= MAX_LIFETIME_S + SKEW_S)
    ) {
      throw fail(
        'Provided access token is expired or valid for more than one hour',
        'expired',
        accessId,
      )
    }
  }

  const verify = async (token: string): Promise<{ key: ApiKey; claims: VerifiedToken }> => {
    const parts = token.split('.')
    if (parts.length !== 3 || token.length > MAX_TOKEN_LENGTH)
      throw fail(PROCESS_FAILED, 'malformed')
    const unverified = decodeSegment(parts[1] as string)
    const payloadObject =
      typeof unverified === 'object' && unverified !== null && !Array.isArray(unverified)
    const claimed =
      payloadObject && 'sub' in unverified && typeof unverified.sub === 'string'
        ? unverified.sub
        : undefined
    /** A failure naming the key the token claims, when it names one. */
    const failed = (message: string, reason: string) => fail(message, reason, claimed)
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch {
      throw failed(PROCESS_FAILED, 'malformed')
    }
    // `typ` is a media type: compared case-insensitively (RFC 7515 §4.1.9).
    const typ: unknown = header.typ
    if (header.alg !== 'RS256' || (typ !== undefined && String(typ).toUpperCase() !== 'JWT')) {
      throw failed('Unsupported token: the JWT must be of type JWT, signed with RS256', 'alg')
    }
    if (!payloadObject) throw fail(PROCESS_FAILED, 'malformed')
    if (claimed === undefined) throw fail('Invalid Access Id: the token has no sub', 'no_sub')
    const key = await activeKey(claimed)
    let payload: Uint8Array
    try {
      ;({ payload } = await compactVerify(token, publicKeyOf(key), { algorithms: ['RS256'] }))
    } catch {
      throw failed(PROCESS_FAILED, 'signature')
    }
    let claims: Record<string, unknown>
    try {
      claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
    } catch {
      throw failed(PROCESS_FAILED, 'payload')
    }
    const { exp, iat, aud, sub } = claims
    if (sub !== key.accessId) throw failed(PROCESS_FAILED, 'sub_mismatch')
    if (typeof exp !== 'number' || typeof iat !== 'number') throw failed(PROCESS_FAILED, 'claims')
    if (!Number.isFinite(exp) || !Number.isFinite(iat)) throw failed(PROCESS_FAILED, 'claims')
    checkTimes(exp, iat, key.accessId)
    if (!audienceMatches(aud, audiences)) {
      throw failed('Invalid audience: aud must be the adminRestApiUrl of the key file', 'audience')
    }
    return { key, claims: { accessId: key.accessId, exp, iat } }
  }

  const remember = (token: string, claims: VerifiedToken) => {
    if (verified.size >= CACHE_LIMIT) {
      const now = clock.now() / 1000
      for (const [cached, entry] of verified) {
        if (entry.exp <= now - SKEW_S) verified.delete(cached)
      }
      // Still full of live tokens: drop the oldest.
      if (verified.size >= CACHE_LIMIT) {
        const oldest = verified.keys().next().value
        if (oldest !== undefined) verified.delete(oldest)
      }
    }
    verified.set(token, claims)
  }

  return {
    async authenticate(token) {
      if (!token) throw fail(PROCESS_FAILED, 'missing')
      const cached = verified.get(token)
      let key: ApiKey
      if (cached) {
        checkTimes(cached.exp, cached.iat, cached.accessId)
        key = await activeKey(cached.accessId)
      } else {
        const result = await verify(token)
        remember(token, result.claims)
        key = result.key
      }
      await touch(key)
      return { accessId: key.accessId, companyId: key.companyId, role: key.role }
    },

    forget(accessId) {
      keysThisTurn.delete(accessId)
    },
  }
}

/** `Authorization: Bearer <JWT>`, or `X-API-Key: <JWT>` (RSA's own Sentinel connector). */
export const tokenFromHeaders = (headers: Record<string, unknown>): string | undefined => {
  const authorization = headers.authorization
  if (typeof authorization === 'string') {
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization)
    return match?.[1]
  }
  const apiKey = headers['x-api-key']
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined
}

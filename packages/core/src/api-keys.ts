import type { Role } from './roles.js'

/** An Administration API key as stored: the public half only (admin-api.md §2). */
export interface ApiKey {
  accessId: string
  companyId: string
  role: Role
  description: string | null
  publicKeyPem: string
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

/**
 * The key file handed out once at creation, in RSA's format (admin-api.md §2). `description` is
 * `null` when none was given (§1: absent string values are `null`), as in the key list.
 */
export interface ApiKeyFile {
  customerName: string
  accessID: string
  description: string | null
  accessKey: string
  adminRestApiUrl: string
}

export const DEFAULT_MAX_ACTIVE_API_KEYS = 10

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

/** The key file handed out once at creation, in RSA's format. */
export interface ApiKeyFile {
  customerName: string
  accessID: string
  description: string
  accessKey: string
  adminRestApiUrl: string
}

export const DEFAULT_MAX_ACTIVE_API_KEYS = 10

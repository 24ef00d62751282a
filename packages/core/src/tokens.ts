/**
 * Hardware tokens (SecurID 700 class, admin-api.md §8).
 * Lifecycle: imported → `Unassigned`/`Disabled`; assigned → `Activation Pending` (status kept);
 * first successful authentication → `Activated`; unassigned → `Unassigned`/`Disabled`.
 * Only an assigned, `Enabled` token ever verifies. A user holds at most 5 tokens.
 */
export const TOKEN_STATES = ['Unassigned', 'Activation Pending', 'Activated'] as const
export type TokenState = (typeof TOKEN_STATES)[number]

export const TOKEN_STATUSES = ['Enabled', 'Disabled'] as const
export type TokenStatus = (typeof TOKEN_STATUSES)[number]

export const MAX_TOKENS_PER_USER = 5
export const MAX_SERIAL_LENGTH = 36
export const MAX_TOKEN_NAME_LENGTH = 255

export interface HardwareToken {
  id: string
  companyId: string
  serial: string
  name: string
  algorithm: 'TOTP'
  digits: number
  period: number
  state: TokenState
  status: TokenStatus
  statusChangedBy: string | null
  statusChangedAt: number | null
  assignedUserId: string | null
  assignedAt: number | null
  assignedBy: string | null
  pinSet: boolean
  createdAt: number
}

/** A token as imported: its seed is already encrypted (bound to company and serial). */
export interface NewHardwareToken extends HardwareToken {
  seedCiphertext: Uint8Array
}

/** Associated data that binds a seed's ciphertext to its row. */
export const seedAad = (companyId: string, serial: string): string =>
  `tokens.seed:${companyId}:${serial}`

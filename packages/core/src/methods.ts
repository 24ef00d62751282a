/**
 * Authentication methods that lock (admin-api.md §7). Each is counted and locked separately
 * per user. `TOKEN`, `SMS` and `VOICE` are the documented unlock values; `SECURID` and
 * `EMERGENCY_TOKENCODE` are tokendesk extensions.
 */
export const LOCKABLE_METHODS = ['TOKEN', 'SMS', 'VOICE', 'SECURID', 'EMERGENCY_TOKENCODE'] as const
export type LockableMethod = (typeof LOCKABLE_METHODS)[number]

export interface MethodLockState {
  method: LockableMethod
  failedCount: number
  lockedAt: number | null
}

/** The documented flags of the unlock response and User Details. */
export interface DocumentedLockFlags {
  isTokenLocked: boolean
  isSmsLocked: boolean
  isVoiceLocked: boolean
}

export const isLocked = (locks: readonly MethodLockState[], method: LockableMethod): boolean =>
  locks.some((lock) => lock.method === method && lock.lockedAt !== null)

export const documentedLockFlags = (locks: readonly MethodLockState[]): DocumentedLockFlags => ({
  isTokenLocked: isLocked(locks, 'TOKEN'),
  isSmsLocked: isLocked(locks, 'SMS'),
  isVoiceLocked: isLocked(locks, 'VOICE'),
})

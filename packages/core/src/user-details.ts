import type { DocumentedLockFlags, MethodLockState } from './methods.js'
import { documentedLockFlags } from './methods.js'
import type { EmergencyCode, Repositories, StoredUserDetails, User } from './store.js'

export type AccessStatus = 'Enabled' | 'Disabled'

/** What User Details says about a user's emergency access (admin-api.md §9). */
export interface EmergencyAccessView {
  status: AccessStatus
  codeId: string | null
  expiresAt: number | null
  lastUsedAt: number | null
  oneTimeUse: boolean | null
  offlineStatus: AccessStatus
  offlineExpiresAt: number | null
}

export interface UserDetails {
  user: User
  locks: DocumentedLockFlags
  allLocks: MethodLockState[]
  emergency: EmergencyAccessView
}

/**
 * Online access lasts while the latest code is neither revoked nor expired; offline access
 * lasts until the latest code's offline expiry, whatever happened online (admin-api.md §6.3).
 */
export const emergencyAccessView = (
  latest: EmergencyCode | undefined,
  now: number,
): EmergencyAccessView => {
  const online = latest !== undefined && latest.revokedAt === null && latest.expiresAt > now
  const offline =
    latest !== undefined && latest.offlineExpiresAt !== null && latest.offlineExpiresAt > now
  return {
    status: online ? 'Enabled' : 'Disabled',
    codeId: online ? latest.id : null,
    expiresAt: online ? latest.expiresAt : null,
    lastUsedAt: latest?.lastUsedAt ?? null,
    oneTimeUse: online ? latest.oneTimeUse : null,
    offlineStatus: offline ? 'Enabled' : 'Disabled',
    offlineExpiresAt: offline ? latest.offlineExpiresAt : null,
  }
}

/**
 * The locks as they stand at `now`: with the company's `autoUnlockAfterMinutes`, a lock older
 * than that is over even though no authentication has come by to clear it from storage yet
 * (the authentication service clears such locks lazily), so User Details must not report it.
 */
export const effectiveLocks = (
  locks: readonly MethodLockState[],
  autoUnlockAfterMinutes: number | null,
  now: number,
): MethodLockState[] =>
  locks.map((lock) =>
    autoUnlockAfterMinutes !== null &&
    lock.lockedAt !== null &&
    lock.lockedAt + autoUnlockAfterMinutes * 60_000 <= now
      ? { ...lock, lockedAt: null, failedCount: 0 }
      : lock,
  )

/**
 * {@link effectiveLocks} of a user's stored locks, reading the company's auto-unlock delay only
 * when it matters: most users have no locked method, and their answers cost one read less. Every
 * answer that reports lock state (User Details, the unlock answer) goes through here.
 */
export const currentLocks = async (
  repos: Repositories,
  companyId: string,
  stored: readonly MethodLockState[],
  now: number,
): Promise<MethodLockState[]> => {
  if (!stored.some((lock) => lock.lockedAt !== null)) return [...stored]
  const company = await repos.companies.findById(companyId)
  return effectiveLocks(stored, company?.settings.lockout.autoUnlockAfterMinutes ?? null, now)
}

export const loadUserDetails = async (
  repos: Repositories,
  user: User,
  now: number,
): Promise<UserDetails> => {
  const [locks, latestCode] = await Promise.all([
    repos.locks.list(user.companyId, user.id),
    repos.emergencyCodes.findLatest(user.companyId, user.id),
  ])
  return userDetailsOf(repos, { user, locks, latestCode }, now)
}

/** User Details from what storage holds of the user (`loadUserDetails`, `findDetailsByEmail`). */
export const userDetailsOf = async (
  repos: Repositories,
  { user, locks: stored, latestCode: latest }: StoredUserDetails,
  now: number,
): Promise<UserDetails> => {
  const allLocks = await currentLocks(repos, user.companyId, stored, now)
  return {
    user,
    locks: documentedLockFlags(allLocks),
    allLocks,
    emergency: emergencyAccessView(latest, now),
  }
}

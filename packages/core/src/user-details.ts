import type { DocumentedLockFlags, MethodLockState } from './methods.js'
import { documentedLockFlags } from './methods.js'
import type { EmergencyCode, Repositories, User } from './store.js'

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

export const loadUserDetails = async (
  repos: Repositories,
  user: User,
  now: number,
): Promise<UserDetails> => {
  const [allLocks, latest] = await Promise.all([
    repos.locks.list(user.companyId, user.id),
    repos.emergencyCodes.findLatest(user.companyId, user.id),
  ])
  return {
    user,
    locks: documentedLockFlags(allLocks),
    allLocks,
    emergency: emergencyAccessView(latest, now),
  }
}

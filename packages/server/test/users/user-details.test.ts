import { emergencyCodeHash } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from '../helpers.js'

/**
 * The User Details object (admin-api.md §9; rsa-cas-api.md §6.1) carries real state: lock
 * flags as the lockout rules stand now, emergency access and its last use, phone numbers; and
 * `null` where tokendesk has nothing.
 */
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 0)
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

const details = async (t: TestApp, email: string) => {
  const response = await t.call('POST', '/v1/users/lookup', { email }, t.company.helpDesk)
  expect(response.statusCode).toBe(200)
  return response.json()
}

describe('User Details values', () => {
  it('reports each method lock as stored, and a lock past autoUnlockAfterMinutes as over', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    const userId = await t.createUser('locked@example.com')
    const locks = t.runtime.store.read.locks
    await locks.recordFailure(t.company.id, userId, 'SMS', NOW, 1)
    expect(await details(t, 'locked@example.com')).toMatchObject({
      isTokenLocked: false,
      isSmsLocked: true,
      isVoiceLocked: false,
    })
    // One failure of three is no lock.
    await locks.recordFailure(t.company.id, userId, 'TOKEN', NOW, 3)
    await locks.recordFailure(t.company.id, userId, 'VOICE', NOW, 1)
    expect(await details(t, 'locked@example.com')).toMatchObject({
      isTokenLocked: false,
      isSmsLocked: true,
      isVoiceLocked: true,
    })

    // Unlocking through the API shows at once.
    const unlock = await t.call('PATCH', `/v1/users/${userId}/methods`, {
      unlockMethods: ['VOICE'],
    })
    expect(unlock.statusCode).toBe(200)
    expect(await details(t, 'locked@example.com')).toMatchObject({
      isSmsLocked: true,
      isVoiceLocked: false,
    })

    // With auto-unlock after 10 minutes, the SMS lock is over at 10 minutes, not before.
    const settings = await t.call('PUT', '/v1/company/settings', {
      lockout: { autoUnlockAfterMinutes: 10 },
    })
    expect(settings.statusCode).toBe(200)
    clock.set(NOW + 10 * MINUTE - 1)
    expect((await details(t, 'locked@example.com')).isSmsLocked).toBe(true)
    clock.set(NOW + 10 * MINUTE)
    expect((await details(t, 'locked@example.com')).isSmsLocked).toBe(false)
  })

  it('reports emergency access online and offline, its expiry and its last use', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    const userId = await t.createUser('eac@example.com', {
      smsNumber: '+15550100',
      voiceNumber: '+15550101',
    })
    const none = await details(t, 'eac@example.com')
    expect(none).toMatchObject({
      emergencyAccessStatus: 'Disabled',
      emergencyTokencodeId: null,
      emergencyTokencodeExpiration: null,
      emergencyTokencodeLastUse: null,
      emergencyTokencodeOneTimeUse: null,
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
      smsNumber: '+15550100',
      voiceNumber: '+15550101',
    })

    const issued = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {
      expirationDays: '2',
    })
    expect(issued.statusCode).toBe(200)
    const { emergencyTokencodeId, emergencyTokencode } = issued.json()
    expect(await details(t, 'eac@example.com')).toMatchObject({
      emergencyAccessStatus: 'Enabled',
      emergencyTokencodeId,
      emergencyTokencodeExpiration: new Date(NOW + 2 * DAY).toISOString(),
      emergencyTokencodeLastUse: null,
      emergencyTokencodeOneTimeUse: false,
      offlineEmergencyAccessStatus: 'Enabled',
      offlineEmergencyTokencodeExpiration: new Date(NOW + 7 * DAY).toISOString(),
    })

    // An online use (as the Authentication API records it) is the last use.
    const usedAt = NOW + 5 * MINUTE
    const hash = emergencyCodeHash(t.runtime.secrets, userId, emergencyTokencode)
    expect(
      await t.runtime.store.read.emergencyCodes.useOnline(t.company.id, userId, hash, usedAt),
    ).toBe(true)
    expect((await details(t, 'eac@example.com')).emergencyTokencodeLastUse).toBe(
      new Date(usedAt).toISOString(),
    )

    // Expired online: Disabled and no id, but the last use and the offline validity remain.
    clock.set(NOW + 2 * DAY)
    expect(await details(t, 'eac@example.com')).toMatchObject({
      emergencyAccessStatus: 'Disabled',
      emergencyTokencodeId: null,
      emergencyTokencodeExpiration: null,
      emergencyTokencodeLastUse: new Date(usedAt).toISOString(),
      offlineEmergencyAccessStatus: 'Enabled',
    })
    clock.set(NOW + 7 * DAY)
    expect(await details(t, 'eac@example.com')).toMatchObject({
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
    })
  })

  it('answers null, never a made-up value, where tokendesk has no data', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser('plain@example.com')
    expect(await details(t, 'plain@example.com')).toMatchObject({
      id: userId,
      firstName: null,
      lastName: null,
      identitySource: null,
      lastSyncTime: null,
      monthLastAuthenticated: null,
      lastSuccessfulAuthenticationMethod: null,
      lastSuccessfulAuthenticationDate: null,
      alternateUsername: null,
      secondaryUniqueIdentifier: null,
      smsNumber: null,
      voiceNumber: null,
      markDeletedAt: null,
      markDeletedBy: null,
      principalUsername: 'plain@example.com',
      primaryUniqueIdentifier: userId,
    })
  })
})

import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  buildTestApp,
  manualClock,
  setRateLimit,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 789) // 2026-11-23T10:00:00.789Z
const DAY = 86_400_000
const at = (ms: number) => new Date(ms).toISOString()

const del = (t: TestApp, userId: string, eacId: string, key = t.company.superAdmin) =>
  t.call('DELETE', `/v1/users/${userId}/emergencyTokencode/${eacId}`, undefined, key)

const enable = async (t: TestApp, userId: string, body: unknown = {}) => {
  const response = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, body)
  expect(response.statusCode).toBe(200)
  return response.json() as { emergencyTokencodeId: string; offlineExpirationDate: string | null }
}

const activeCodes = (t: TestApp, userId: string): number => {
  const db = new Database(t.databaseFile, { readonly: true, fileMustExist: true })
  try {
    const row = db
      .prepare('select count(*) as n from emergency_codes where user_id = ? and revoked_at is null')
      .get(userId) as { n: number }
    return row.n
  } finally {
    db.close()
  }
}

describe('DELETE /v1/users/{id}/emergencyTokencode/{eacId}', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  it('disables online access and leaves the offline expiry in place', async () => {
    const t = shared()
    const email = 'disable-active@example.com'
    const userId = await t.createUser(email)
    const code = await enable(t, userId, { expirationDays: '5' })
    clock.advance(60_000)

    const response = await del(t, userId, code.emergencyTokencodeId)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      emergencyAccessStatus: 'Disabled',
      offlineEmergencyAccessStatus: 'Enabled',
      offlineEmergencyTokencodeExpiration: at(NOW + 7 * DAY),
    })
    expect(activeCodes(t, userId)).toBe(0)

    const details = (await t.call('POST', '/v1/users/lookup', { email })).json()
    expect(details).toMatchObject({
      emergencyAccessStatus: 'Disabled',
      emergencyTokencodeId: null,
      emergencyTokencodeExpiration: null,
      offlineEmergencyAccessStatus: 'Enabled',
      offlineEmergencyTokencodeExpiration: at(NOW + 7 * DAY),
    })
  })

  it('is idempotent: a second delete answers 200 with the same body', async () => {
    const t = shared()
    const userId = await t.createUser()
    const code = await enable(t, userId)
    const first = await del(t, userId, code.emergencyTokencodeId)
    const second = await del(t, userId, code.emergencyTokencodeId)
    expect(second.statusCode).toBe(200)
    expect(second.json()).toEqual(first.json())
  })

  it('answers 200 with offline Disabled/null for a user that never had a code', async () => {
    const t = shared()
    const email = 'never-had-one@example.com'
    const userId = await t.createUser(email)
    const response = await del(t, userId, 'f10d0514-7dd1-4a13-a30e-236d0e65b56a')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      emergencyAccessStatus: 'Disabled',
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
    })
    const details = (await t.call('POST', '/v1/users/lookup', { email })).json()
    expect(details.emergencyAccessStatus).toBe('Disabled')
    expect(details.offlineEmergencyAccessStatus).toBe('Disabled')
  })

  it.each([
    ['another uuid', '54082ac6-4713-6368-2251-df813c41159f'],
    ['a word', 'whatever'],
    ['a number', '42'],
  ])('removes the active code whatever eacId names (%s)', async (_label, eacId) => {
    const t = shared()
    const email = `any-eac-${eacId}@example.com`
    const userId = await t.createUser(email)
    await enable(t, userId)
    const response = await del(t, userId, eacId)
    expect(response.statusCode).toBe(200)
    expect(response.json().emergencyAccessStatus).toBe('Disabled')
    expect(response.json().offlineEmergencyAccessStatus).toBe('Enabled')
    expect(activeCodes(t, userId)).toBe(0)
    const details = (await t.call('POST', '/v1/users/lookup', { email })).json()
    expect(details.emergencyAccessStatus).toBe('Disabled')
    expect(details.emergencyTokencodeId).toBeNull()
  })

  it('answers offline Disabled/null when the code was issued without offline use', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', { emergencyAccessCode: { offlineEnabled: false } })
    const userId = await t.createUser()
    const code = await enable(t, userId)
    expect(code.offlineExpirationDate).toBeNull()
    const response = await del(t, userId, code.emergencyTokencodeId)
    expect(response.json()).toEqual({
      userId,
      emergencyAccessStatus: 'Disabled',
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
    })
  })

  it('follows the latest code for the offline status (docs/api.md)', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    const userId = await t.createUser()
    const withOffline = await enable(t, userId)
    expect(withOffline.offlineExpirationDate).toBe(at(NOW + 7 * DAY))
    await t.call('PUT', '/v1/company/settings', { emergencyAccessCode: { offlineEnabled: false } })
    clock.advance(1_000)
    const withoutOffline = await enable(t, userId)
    expect(withoutOffline.offlineExpirationDate).toBeNull()
    const response = await del(t, userId, withoutOffline.emergencyTokencodeId)
    expect(response.json()).toEqual({
      userId,
      emergencyAccessStatus: 'Disabled',
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
    })
  })

  it('answers offline Disabled once the offline expiry has passed', async () => {
    const t = shared()
    const userId = await t.createUser()
    const code = await enable(t, userId, { expirationDays: 1 })
    clock.advance(7 * DAY)
    const response = await del(t, userId, code.emergencyTokencodeId)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      emergencyAccessStatus: 'Disabled',
      offlineEmergencyAccessStatus: 'Disabled',
      offlineEmergencyTokencodeExpiration: null,
    })
  })

  it('lets a HELP_DESK_ADMIN key disable', async () => {
    const t = shared()
    const userId = await t.createUser()
    const code = await enable(t, userId)
    const response = await del(t, userId, code.emergencyTokencodeId, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    expect(activeCodes(t, userId)).toBe(0)
  })

  it.each([
    ['an unknown uuid', '54082ac6-4713-6368-2251-df813c41159f'],
    ['a malformed id', 'nobody'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const response = await del(t, userId, 'f10d0514-7dd1-4a13-a30e-236d0e65b56a')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('answers 429 once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser()
    const code = await enable(t, userId)
    await setRateLimit(t, 1, 1)
    expect((await del(t, userId, code.emergencyTokencodeId)).statusCode).toBe(200)
    const limited = await del(t, userId, code.emergencyTokencodeId)
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })
})

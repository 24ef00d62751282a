import { beforeEach, describe, expect, it } from 'vitest'
import {
  buildTestApp,
  manualClock,
  setRateLimit,
  type TestApp,
  UUID_PATTERN,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 456) // 2026-11-23T10:00:00.456Z
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const at = (ms: number) => new Date(ms).toISOString()

const put = (t: TestApp, userId: string, body?: unknown, key = t.company.superAdmin) =>
  t.call('PUT', `/v2/users/${userId}/emergencyTokencode`, body, key)

const V2_KEYS = [
  'configurationsLocked',
  'configurationsUsed',
  'emergencyTokencode',
  'emergencyTokencodeId',
  'expirationDate',
  'offlineExpirationDate',
  'oneTimeUse',
]

describe('PUT /v2/users/{id}/emergencyTokencode', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  it('answers the v1 fields plus the terms used, from the company defaults', async () => {
    const t = shared()
    const userId = await t.createUser()
    for (const body of [undefined, {}]) {
      const response = await put(t, userId, body)
      expect(response.statusCode).toBe(200)
      const json = response.json()
      expect(Object.keys(json).sort()).toEqual(V2_KEYS)
      expect(json.emergencyTokencodeId).toMatch(UUID_PATTERN)
      expect(json.emergencyTokencode).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/)
      expect(json).toMatchObject({
        expirationDate: at(NOW + 3 * DAY),
        offlineExpirationDate: at(NOW + 7 * DAY),
        oneTimeUse: false,
        configurationsLocked: false,
      })
      expect(json.configurationsUsed).toEqual({
        expiryValue: 3,
        expiryUnit: 'days',
        oneTimeUse: false,
      })
    }
  })

  it('uses the requested unit, value and oneTimeUse', async () => {
    const t = shared()
    const email = 'v2-explicit@example.com'
    const userId = await t.createUser(email)
    const response = await put(t, userId, {
      expiryUnit: 'minutes',
      expiryValue: 30,
      oneTimeUse: true,
    })
    expect(response.statusCode).toBe(200)
    const json = response.json()
    expect(json.expirationDate).toBe('2026-11-23T10:30:00.456Z')
    expect(json.offlineExpirationDate).toBe(at(NOW + 7 * DAY))
    expect(json.oneTimeUse).toBe(true)
    expect(json.configurationsLocked).toBe(false)
    expect(json.configurationsUsed).toEqual({
      expiryValue: 30,
      expiryUnit: 'minutes',
      oneTimeUse: true,
    })
    const details = (await t.call('POST', '/v1/users/lookup', { email })).json()
    expect(details.emergencyTokencodeId).toBe(json.emergencyTokencodeId)
    expect(details.emergencyTokencodeExpiration).toBe('2026-11-23T10:30:00.456Z')
    expect(details.emergencyTokencodeOneTimeUse).toBe(true)
  })

  it.each([
    [{ expiryUnit: 'minutes', expiryValue: 1 }, MINUTE, false],
    [{ expiryUnit: 'hours', expiryValue: 168 }, 168 * HOUR, false],
    [{ expiryUnit: 'days', expiryValue: 7 }, 7 * DAY, false],
    [{ expiryUnit: 'minutes', expiryValue: 10_080 }, 7 * DAY, false],
    [{ oneTimeUse: true }, 3 * DAY, true],
  ])('accepts the validity bounds (%j)', async (body, validity, oneTimeUse) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, body)
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + validity))
    expect(response.json().oneTimeUse).toBe(oneTimeUse)
  })

  it.each([
    ['a unit without a value', { expiryUnit: 'minutes' }],
    ['a value without a unit', { expiryValue: 30 }],
    ['0 minutes', { expiryUnit: 'minutes', expiryValue: 0 }],
    ['-1 hours', { expiryUnit: 'hours', expiryValue: -1 }],
    ['8 days', { expiryUnit: 'days', expiryValue: 8 }],
    ['169 hours', { expiryUnit: 'hours', expiryValue: 169 }],
    ['10081 minutes', { expiryUnit: 'minutes', expiryValue: 10_081 }],
    ['an unknown unit', { expiryUnit: 'weeks', expiryValue: 1 }],
    ['an upper-case unit', { expiryUnit: 'DAYS', expiryValue: 1 }],
    ['a string value', { expiryUnit: 'days', expiryValue: '1' }],
    ['a fractional value', { expiryUnit: 'days', expiryValue: 1.5 }],
    ['a numeric unit', { expiryUnit: 1, expiryValue: 1 }],
    ['a string oneTimeUse', { oneTimeUse: 'true' }],
    ['a null oneTimeUse', { oneTimeUse: null }],
    ['a body that is an array', []],
  ])('answers 400 Invalid expiration date. for %s', async (_label, body) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, body)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Invalid expiration date.',
    })
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const userId = await t.createUser()
    for (const body of [
      { expiryUnit: 'days', expiryValue: 1, extra: true },
      { expirationDays: '7' },
    ]) {
      const response = await put(t, userId, body)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Wrong number of properties in the request body.',
      })
    }
  })

  it('answers 400 User is disabled. for a disabled user', async () => {
    const t = shared()
    const userId = await t.createUser(undefined, { userStatus: 'Disabled' })
    const response = await put(t, userId, { oneTimeUse: true })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ code: '400 BAD_REQUEST', description: 'User is disabled.' })
  })

  it.each([
    ['an unknown uuid', 'f10d0514-7dd1-4a13-a30e-236d0e65b56a'],
    ['a malformed id', '12345'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const response = await put(t, userId, { expiryUnit: 'hours', expiryValue: 2 })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('lets a HELP_DESK_ADMIN key issue a code', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(
      t,
      userId,
      { expiryUnit: 'hours', expiryValue: 2 },
      t.company.helpDesk,
    )
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + 2 * HOUR))
  })
})

describe('PUT /v2/users/{id}/emergencyTokencode under company settings', () => {
  it('uses the locked company terms and says so', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const settings = await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { locked: true, expiryValue: 1, expiryUnit: 'hours', oneTimeUse: true },
    })
    expect(settings.statusCode).toBe(200)
    const userId = await t.createUser()
    for (const body of [
      { expiryUnit: 'days', expiryValue: 7, oneTimeUse: false },
      { oneTimeUse: false },
      {},
    ]) {
      const response = await put(t, userId, body)
      expect(response.statusCode).toBe(200)
      const json = response.json()
      expect(json.expirationDate).toBe('2026-11-23T11:00:00.456Z')
      expect(json.oneTimeUse).toBe(true)
      expect(json.configurationsLocked).toBe(true)
      expect(json.configurationsUsed).toEqual({
        expiryValue: 1,
        expiryUnit: 'hours',
        oneTimeUse: true,
      })
    }
    // The request's shape is still checked.
    const invalid = await put(t, userId, { expiryUnit: 'days' })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().description).toBe('Invalid expiration date.')
  })

  it('uses the company defaults for unit and value and the request for oneTimeUse when unlocked', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { expiryValue: 90, expiryUnit: 'minutes', oneTimeUse: true },
    })
    const userId = await t.createUser()
    const response = await put(t, userId, { oneTimeUse: false })
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + 90 * MINUTE))
    expect(response.json().configurationsUsed).toEqual({
      expiryValue: 90,
      expiryUnit: 'minutes',
      oneTimeUse: false,
    })
    const defaults = await put(t, userId, {})
    expect(defaults.json().oneTimeUse).toBe(true)
    expect(defaults.json().configurationsUsed.oneTimeUse).toBe(true)
  })

  it('answers offlineExpirationDate null when offline use is disabled', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', { emergencyAccessCode: { offlineEnabled: false } })
    const userId = await t.createUser()
    const response = await put(t, userId, {})
    expect(response.statusCode).toBe(200)
    expect(Object.keys(response.json()).sort()).toEqual(V2_KEYS)
    expect(response.json().offlineExpirationDate).toBeNull()
  })

  it('answers 429 once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser()
    await setRateLimit(t, 1, 1)
    expect((await put(t, userId, {})).statusCode).toBe(200)
    const limited = await put(t, userId, {})
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })
})

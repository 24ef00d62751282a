import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  buildTestApp,
  manualClock,
  setRateLimit,
  signJwt,
  type TestApp,
  UUID_PATTERN,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 123) // 2026-11-23T10:00:00.123Z
const DAY = 86_400_000
const at = (ms: number) => new Date(ms).toISOString()
const ALPHANUMERIC = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/

const put = (t: TestApp, userId: string, body?: unknown, key = t.company.superAdmin) =>
  t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, body, key)

describe('PUT /v1/users/{id}/emergencyTokencode', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  it('answers 200 with exactly the four documented keys and a code of the company alphabet', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, { expirationDays: '7' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual([
      'emergencyTokencode',
      'emergencyTokencodeId',
      'expirationDate',
      'offlineExpirationDate',
    ])
    expect(body.emergencyTokencodeId).toMatch(UUID_PATTERN)
    expect(body.emergencyTokencode).toMatch(ALPHANUMERIC)
    expect(body.expirationDate).toBe(at(NOW + 7 * DAY))
    expect(body.expirationDate).toBe('2026-11-30T10:00:00.123Z')
    expect(body.offlineExpirationDate).toBe(at(NOW + 7 * DAY))
  })

  it.each([
    ['integer', 2, 2],
    ['string', '5', 5],
    ['integer 1', 1, 1],
    ['string 7', '7', 7],
  ])('takes expirationDays as a JSON %s (%j)', async (_kind, expirationDays, days) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, { expirationDays })
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + days * DAY))
    // Offline validity is the company's (7 days), whatever the online validity.
    expect(response.json().offlineExpirationDate).toBe(at(NOW + 7 * DAY))
  })

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
  ])('uses the company default validity (3 days) with %s', async (_label, body) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, body)
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe('2026-11-26T10:00:00.123Z')
    expect(response.json().offlineExpirationDate).toBe('2026-11-30T10:00:00.123Z')
  })

  it('uses the company default when the request has a JSON content type and an empty body', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await t.app.inject({
      method: 'PUT',
      url: `/AdminInterface/restapi/v1/users/${userId}/emergencyTokencode`,
      headers: {
        authorization: `Bearer ${await signJwt(t.company.superAdmin, {}, {}, NOW)}`,
        'content-type': 'application/json',
      },
      payload: '',
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + 3 * DAY))
  })

  it.each([
    ['"0"', '0'],
    ['8', 8],
    ['"8"', '8'],
    ['0', 0],
    ['-1', -1],
    ['"7.5"', '7.5'],
    ['"abc"', 'abc'],
    ['""', ''],
    ['" 7"', ' 7'],
    ['null', null],
    ['true', true],
    ['7.5', 7.5],
    ['[]', []],
    ['{}', {}],
  ])(
    'answers 400 Invalid expiration date. for expirationDays %s',
    async (_label, expirationDays) => {
      const t = shared()
      const userId = await t.createUser()
      const response = await put(t, userId, { expirationDays })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Invalid expiration date.',
      })
    },
  )

  it('answers 400 Invalid expiration date. for a body that is not an object', async () => {
    const t = shared()
    const userId = await t.createUser()
    for (const body of [[], 7, '7', null]) {
      const response = await put(t, userId, body)
      expect(response.statusCode, JSON.stringify(body)).toBe(400)
      expect(response.json()).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Invalid expiration date.',
      })
    }
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const userId = await t.createUser()
    for (const body of [{ expirationDays: '7', extra: 1 }, { expiryValue: 3 }]) {
      const response = await put(t, userId, body)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Wrong number of properties in the request body.',
      })
    }
  })

  it('answers 400 User is disabled. for a disabled user, and issues again once enabled', async () => {
    const t = shared()
    const userId = await t.createUser()
    const disable = await t.call('PUT', `/v1/users/${userId}/userStatus`, {
      userStatus: 'Disabled',
    })
    expect(disable.statusCode).toBe(200)
    const response = await put(t, userId, { expirationDays: '1' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ code: '400 BAD_REQUEST', description: 'User is disabled.' })
    const details = await t.call('POST', '/v1/users/lookup', {
      email: disable.json().emailAddress,
    })
    expect(details.json().emergencyAccessStatus).toBe('Disabled')

    await t.call('PUT', `/v1/users/${userId}/userStatus`, { userStatus: 'Enabled' })
    expect((await put(t, userId, { expirationDays: '1' })).statusCode).toBe(200)
  })

  it.each([
    ['an unknown uuid', '54082ac6-4713-6368-2251-df813c41159f'],
    ['a malformed id', 'not-a-uuid'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const response = await put(t, userId, { expirationDays: '7' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('takes the upper-case form of a user id: UUIDs are case-insensitive', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId.toUpperCase(), {})
    expect(response.statusCode, response.body).toBe(200)
    const { emergencyTokencodeId } = response.json()
    const disabled = await t.call(
      'DELETE',
      `/v1/users/${userId.toUpperCase()}/emergencyTokencode/${emergencyTokencodeId.toUpperCase()}`,
    )
    expect(disabled.statusCode).toBe(200)
    expect(disabled.json().userId).toBe(userId)
    // An unknown id in upper case names no user, in its stored (lowercase) form.
    const unknown = await put(t, '54082AC6-4713-6368-2251-DF813C41159F', {})
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().description).toBe('User 54082ac6-4713-6368-2251-df813c41159f not found')
  })

  it('lets a HELP_DESK_ADMIN key issue a code', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await put(t, userId, { expirationDays: 4 }, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    expect(response.json().expirationDate).toBe(at(NOW + 4 * DAY))
  })

  it('revokes the previous code when a new one is issued', async () => {
    const t = shared()
    const email = 'second-put@example.com'
    const userId = await t.createUser(email)
    const first = (await put(t, userId, { expirationDays: '7' })).json()
    clock.advance(1000)
    const second = (await put(t, userId, { expirationDays: '2' })).json()
    expect(second.emergencyTokencodeId).not.toBe(first.emergencyTokencodeId)

    const details = (await t.call('POST', '/v1/users/lookup', { email })).json()
    expect(details.emergencyAccessStatus).toBe('Enabled')
    expect(details.emergencyTokencodeId).toBe(second.emergencyTokencodeId)
    expect(details.emergencyTokencodeExpiration).toBe(at(NOW + 1000 + 2 * DAY))

    const db = new Database(t.databaseFile, { readonly: true, fileMustExist: true })
    try {
      const rows = db
        .prepare('select id, revoked_at from emergency_codes where user_id = ? order by issued_at')
        .all(userId) as { id: string; revoked_at: number | null }[]
      expect(rows).toHaveLength(2)
      const active = rows.filter((row) => row.revoked_at === null)
      expect(active).toEqual([{ id: second.emergencyTokencodeId, revoked_at: null }])
      expect(rows.find((row) => row.id === first.emergencyTokencodeId)?.revoked_at).toBe(NOW + 1000)
      // The code is never stored in clear.
      const stored = JSON.stringify(db.prepare('select * from emergency_codes').all())
      expect(stored).not.toContain(first.emergencyTokencode)
      expect(stored).not.toContain(second.emergencyTokencode)
    } finally {
      db.close()
    }
  })
})

describe('PUT /v1/users/{id}/emergencyTokencode under company settings', () => {
  it('uses the locked company validity whatever the request asks', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const settings = await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { locked: true, expiryValue: 1, expiryUnit: 'hours' },
    })
    expect(settings.statusCode).toBe(200)
    const userId = await t.createUser()
    for (const body of [{ expirationDays: '7' }, { expirationDays: 2 }, {}, undefined]) {
      const response = await put(t, userId, body)
      expect(response.statusCode).toBe(200)
      expect(response.json().expirationDate).toBe('2026-11-23T11:00:00.123Z')
      expect(response.json().offlineExpirationDate).toBe(at(NOW + 7 * DAY))
    }
    // Locked settings still reject a malformed request.
    const invalid = await put(t, userId, { expirationDays: '9' })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json().description).toBe('Invalid expiration date.')
  })

  it('answers offlineExpirationDate null when offline use is disabled', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', { emergencyAccessCode: { offlineEnabled: false } })
    const userId = await t.createUser()
    const response = await put(t, userId, { expirationDays: '3' })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body)).toHaveLength(4)
    expect(body.offlineExpirationDate).toBeNull()
    expect(body.expirationDate).toBe(at(NOW + 3 * DAY))
  })

  it('follows offlineValidityDays', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { offlineValidityDays: 30 },
    })
    const userId = await t.createUser()
    const response = await put(t, userId, { expirationDays: '1' })
    expect(response.json().offlineExpirationDate).toBe(at(NOW + 30 * DAY))
  })

  it('draws NUMERIC codes of the configured length', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { alphabet: 'NUMERIC', length: 12 },
    })
    const userId = await t.createUser()
    for (let i = 0; i < 5; i += 1) {
      const response = await put(t, userId, {})
      expect(response.statusCode).toBe(200)
      expect(response.json().emergencyTokencode).toMatch(/^[0-9]{12}$/)
    }
  })

  it('draws ALPHANUMERIC codes of the configured length without 0 O 1 I L', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.call('PUT', '/v1/company/settings', { emergencyAccessCode: { length: 16 } })
    const userId = await t.createUser()
    const codes: string[] = []
    for (let i = 0; i < 10; i += 1) codes.push((await put(t, userId, {})).json().emergencyTokencode)
    for (const code of codes) expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{16}$/)
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('answers 429 with Retry-After once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser()
    await setRateLimit(t, 1, 2)
    const first = await put(t, userId, {})
    expect(first.statusCode).toBe(200)
    expect(first.headers['ratelimit-limit']).toBe('2')
    expect(first.headers['ratelimit-remaining']).toBe('1')
    const second = await put(t, userId, {})
    expect(second.statusCode).toBe(200)
    expect(second.headers['ratelimit-remaining']).toBe('0')
    const limited = await put(t, userId, {})
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(limited.headers['retry-after']).toMatch(/^[0-9]+$/)
    // The other key of the company has its own bucket.
    expect((await put(t, userId, {}, t.company.helpDesk)).statusCode).toBe(200)
  })
})

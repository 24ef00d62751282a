import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, useSharedTestApp } from '../helpers.js'

/** admin-api.md §5 (rate limit), §6 (emergency codes), §7 (lockout). */
const DEFAULTS = {
  emergencyAccessCode: {
    expiryValue: 3,
    expiryUnit: 'days',
    oneTimeUse: false,
    locked: false,
    length: 8,
    alphabet: 'ALPHANUMERIC',
    offlineEnabled: true,
    offlineValidityDays: 7,
  },
  lockout: { maxFailedAttempts: 3, autoUnlockAfterMinutes: null },
  rateLimit: { requestsPerSecond: 50, burst: 100 },
}

describe('GET /v1/company/settings', () => {
  it('answers the contract defaults, exactly', async () => {
    const t = await buildTestApp()
    const response = await t.call('GET', '/v1/company/settings')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toStrictEqual(DEFAULTS)
    expect(response.headers['ratelimit-limit']).toBe('100')
  })

  it('answers 403 Not authorized to perform the request. to a HELP_DESK_ADMIN key', async () => {
    const t = await buildTestApp()
    const response = await t.call('GET', '/v1/company/settings', undefined, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
  })

  it('answers the settings of the caller’s company only', async () => {
    const t = await buildTestApp()
    const other = await t.addCompany('Settings Other Co')
    await t.call('PUT', '/v1/company/settings', { lockout: { maxFailedAttempts: 9 } })
    const response = await t.call('GET', '/v1/company/settings', undefined, other.superAdmin)
    expect(response.json()).toStrictEqual(DEFAULTS)
  })
})

describe('PUT /v1/company/settings', () => {
  it('merges: what is absent is unchanged, and answers the whole object', async () => {
    const t = await buildTestApp()
    const first = await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { length: 12, alphabet: 'NUMERIC' },
    })
    expect(first.statusCode).toBe(200)
    const afterFirst = {
      ...DEFAULTS,
      emergencyAccessCode: { ...DEFAULTS.emergencyAccessCode, length: 12, alphabet: 'NUMERIC' },
    }
    expect(first.json()).toStrictEqual(afterFirst)

    const second = await t.call('PUT', '/v1/company/settings', {
      lockout: { autoUnlockAfterMinutes: 15 },
      rateLimit: { burst: 500 },
    })
    expect(second.statusCode).toBe(200)
    const afterSecond = {
      emergencyAccessCode: afterFirst.emergencyAccessCode,
      lockout: { maxFailedAttempts: 3, autoUnlockAfterMinutes: 15 },
      rateLimit: { requestsPerSecond: 50, burst: 500 },
    }
    expect(second.json()).toStrictEqual(afterSecond)

    const empty = await t.call('PUT', '/v1/company/settings', {})
    expect(empty.statusCode).toBe(200)
    expect(empty.json()).toStrictEqual(afterSecond)

    const reset = await t.call('PUT', '/v1/company/settings', {
      lockout: { autoUnlockAfterMinutes: null },
    })
    expect(reset.json().lockout).toStrictEqual({
      maxFailedAttempts: 3,
      autoUnlockAfterMinutes: null,
    })

    const read = await t.call('GET', '/v1/company/settings')
    expect(read.json()).toStrictEqual({
      ...afterSecond,
      lockout: { maxFailedAttempts: 3, autoUnlockAfterMinutes: null },
    })
  })

  it('applies a new rate limit from the next request on', async () => {
    const t = await buildTestApp({ clock: manualClock() })
    await t.call('PUT', '/v1/company/settings', { rateLimit: { requestsPerSecond: 5, burst: 7 } })
    const next = await t.call('GET', '/v1/company/settings')
    expect(next.headers['ratelimit-limit']).toBe('7')
  })
})

// Rejected changes change nothing, so these tests share one app.
describe('PUT /v1/company/settings rejects', () => {
  const shared = useSharedTestApp({ rateLimit: null })

  it.each([
    ['maxFailedAttempts 21', { lockout: { maxFailedAttempts: 21 } }],
    ['maxFailedAttempts 0', { lockout: { maxFailedAttempts: 0 } }],
    ['length 5', { emergencyAccessCode: { length: 5 } }],
    ['length 17', { emergencyAccessCode: { length: 17 } }],
    ['expiry 8 days', { emergencyAccessCode: { expiryValue: 8 } }],
    ['expiry 169 hours', { emergencyAccessCode: { expiryValue: 169, expiryUnit: 'hours' } }],
    ['offlineValidityDays 31', { emergencyAccessCode: { offlineValidityDays: 31 } }],
    ['an unknown alphabet', { emergencyAccessCode: { alphabet: 'HEX' } }],
    ['a string number', { lockout: { maxFailedAttempts: '5' } }],
    ['requestsPerSecond 0', { rateLimit: { requestsPerSecond: 0 } }],
  ])('answers 400 for %s and changes nothing', async (_label, body) => {
    const t = shared()
    const response = await t.call('PUT', '/v1/company/settings', body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect(Object.keys(response.json()).sort()).toEqual(['code', 'description'])
    expect((await t.call('GET', '/v1/company/settings')).json()).toStrictEqual(DEFAULTS)
  })

  it('answers 400 naming the rule for a validity over 7 days', async () => {
    const t = shared()
    const response = await t.call('PUT', '/v1/company/settings', {
      emergencyAccessCode: { expiryValue: 8, expiryUnit: 'days' },
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'emergencyAccessCode validity must be between 1 minute and 7 days.',
    })
  })

  it.each([
    ['at the top level', { emergencyAccessCode: {}, extra: 1 }],
    ['inside a part', { lockout: { maxFailedAttempts: 3, lockForever: true } }],
  ])(
    'answers 400 Wrong number of properties in the request body. for an extra property %s',
    async (_label, body) => {
      const t = shared()
      const response = await t.call('PUT', '/v1/company/settings', body)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Wrong number of properties in the request body.',
      })
    },
  )

  it('answers 403 Not authorized to perform the request. to a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await t.call(
      'PUT',
      '/v1/company/settings',
      { lockout: { maxFailedAttempts: 10 } },
      t.company.helpDesk,
    )
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect((await t.call('GET', '/v1/company/settings')).json()).toStrictEqual(DEFAULTS)
  })
})

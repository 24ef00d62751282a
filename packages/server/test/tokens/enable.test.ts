import type { Store } from '@tokendesk/core'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ADMIN,
  buildTestApp,
  importTokens,
  manualClock,
  setRateLimit,
  storeWith,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 45) // 2026-11-23T10:00:00.045Z

let serialCounter = 0
/** A fresh serial with leading zeros. */
const nextSerial = (): string => {
  serialCounter += 1
  return `000${String(100_000_000 + serialCounter)}`
}

const enable = (t: TestApp, userId: string, body: unknown, key = t.company.superAdmin) =>
  t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, body, key)

const assign = async (t: TestApp, userId: string, serial: string) => {
  const response = await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
    tokenSerialNumber: serial,
  })
  expect(response.statusCode).toBe(200)
  return response.json()
}

/** Imports a token and assigns it to a new user. */
const assignedToken = async (t: TestApp): Promise<{ userId: string; serial: string }> => {
  const serial = nextSerial()
  await importTokens(t, [serial])
  const userId = await t.createUser()
  await assign(t, userId, serial)
  return { userId, serial }
}

describe('PATCH /v1/users/{id}/sidTokens/enable', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  it('enables an assigned token: 200 with the documented body', async () => {
    const t = shared()
    const { userId, serial } = await assignedToken(t)
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      tokenSerialNumber: serial,
      tokenStatus: 'Enabled',
      tokenStatusChangedBy: t.company.superAdmin.accessID,
      tokenStatusChangedAt: '2026-11-23T10:00:00.045Z',
    })
    expect(Object.keys(response.json())).toEqual([
      'userId',
      'tokenSerialNumber',
      'tokenStatus',
      'tokenStatusChangedBy',
      'tokenStatusChangedAt',
    ])
  })

  it('answers 200 with the original change time and author when enabled again', async () => {
    const t = shared()
    const { userId, serial } = await assignedToken(t)
    const first = await enable(t, userId, { tokenSerialNumber: serial }, t.company.helpDesk)
    expect(first.statusCode).toBe(200)
    expect(first.json().tokenStatusChangedBy).toBe(t.company.helpDesk.accessID)

    clock.advance(3_600_000)
    const again = await enable(t, userId, { tokenSerialNumber: serial }, t.company.superAdmin)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({
      userId,
      tokenSerialNumber: serial,
      tokenStatus: 'Enabled',
      tokenStatusChangedBy: t.company.helpDesk.accessID,
      tokenStatusChangedAt: '2026-11-23T10:00:00.045Z',
    })
  })

  it('keeps leading zeros: "000123" and "123" are different tokens', async () => {
    const t = shared()
    await importTokens(t, ['000123', '123'])
    const userId = await t.createUser()
    await assign(t, userId, '000123')

    const unassigned = await enable(t, userId, { tokenSerialNumber: '123' })
    expect(unassigned.statusCode).toBe(409)

    const response = await enable(t, userId, { tokenSerialNumber: '000123' })
    expect(response.statusCode).toBe(200)
    expect(response.json().tokenSerialNumber).toBe('000123')

    // "123" is untouched: still disabled once assigned.
    const other = await assign(t, userId, '123')
    expect(other.tokenSerialNumber).toBe('123')
    expect(other.tokenStatus).toBe('Disabled')
  })

  it('answers 404 Token <serial> not found for a serial only equal up to leading zeros', async () => {
    const t = shared()
    await importTokens(t, ['0000424242'])
    const userId = await t.createUser()
    await assign(t, userId, '0000424242')
    const response = await enable(t, userId, { tokenSerialNumber: '424242' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: 'Token 424242 not found',
    })
  })

  it.each([
    ['a missing serial', {}],
    ['a number instead of a string', { tokenSerialNumber: 1231314525 }],
    ['37 characters', { tokenSerialNumber: '1'.repeat(37) }],
    ['an empty serial', { tokenSerialNumber: '' }],
    ['null', { tokenSerialNumber: null }],
    ['an array body', []],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const { userId } = await assignedToken(t)
    const response = await enable(t, userId, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect(Object.keys(response.json()).sort()).toEqual(['code', 'description'])
  })

  it('answers 400 for a missing body', async () => {
    const t = shared()
    const { userId } = await assignedToken(t)
    const response = await enable(t, userId, undefined)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('accepts a serial of exactly 36 characters', async () => {
    const t = shared()
    const serial = `0${'9'.repeat(35)}`
    await importTokens(t, [serial])
    const userId = await t.createUser()
    await assign(t, userId, serial)
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(200)
    expect(response.json().tokenSerialNumber).toBe(serial)
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const { userId, serial } = await assignedToken(t)
    const response = await enable(t, userId, { tokenSerialNumber: serial, tokenName: 'x' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
    // Nothing changed: the token still enables with the time of this call.
    clock.advance(1)
    expect(
      (await enable(t, userId, { tokenSerialNumber: serial })).json().tokenStatusChangedAt,
    ).toBe('2026-11-23T10:00:00.046Z')
  })

  it('answers 403 with the Spring body to an unauthenticated request', async () => {
    const t = shared()
    const { userId, serial } = await assignedToken(t)
    const path = `${ADMIN}/v1/users/${userId}/sidTokens/enable`
    const response = await t.app.inject({
      method: 'PATCH',
      url: path,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ tokenSerialNumber: serial }),
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      timestamp: expect.any(Number),
      status: 403,
      error: 'Forbidden',
      message: 'Server failed to process provided access token',
      path,
    })
    // And the token was not enabled by it.
    clock.advance(5)
    const enabled = await enable(t, userId, { tokenSerialNumber: serial })
    expect(enabled.json().tokenStatusChangedAt).toBe('2026-11-23T10:00:00.050Z')
  })

  it.each([
    ['an unknown user', '54082ac6-4713-4368-a251-df813c41159f'],
    ['a malformed user id', 'someone'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const { serial } = await assignedToken(t)
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('answers 404 Token <serial> not found for an unknown serial', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await enable(t, userId, { tokenSerialNumber: '999999999999' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: 'Token 999999999999 not found',
    })
  })

  it('answers 404 for the serial of a token of another company', async () => {
    const t = shared()
    const other = await t.addCompany('Other Co')
    const serial = nextSerial()
    await importTokens(t, [serial], other.superAdmin)
    const userId = await t.createUser()
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `Token ${serial} not found`,
    })
  })

  it('answers 409 for a token that exists but is not assigned', async () => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const userId = await t.createUser()
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      code: '409 CONFLICT',
      description: `Token ${serial} is not assigned to user ${userId}.`,
    })
  })

  it('answers 409 for a token assigned to another user, and leaves it disabled', async () => {
    const t = shared()
    const { userId: owner, serial } = await assignedToken(t)
    const intruder = await t.createUser()
    const response = await enable(t, intruder, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      code: '409 CONFLICT',
      description: `Token ${serial} is not assigned to user ${intruder}.`,
    })
    const state = await assign(t, owner, serial)
    expect(state.tokenStatus).toBe('Disabled')
  })
})

describe('PATCH /v1/users/{id}/sidTokens/enable when things go wrong', () => {
  it('answers 429 once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const { userId, serial } = await assignedToken(t)
    await setRateLimit(t, 1, 1)
    expect((await enable(t, userId, { tokenSerialNumber: serial })).statusCode).toBe(200)
    const limited = await enable(t, userId, { tokenSerialNumber: serial })
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('answers 500 An internal error occurred. and tells nothing of the cause', async () => {
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        inTransaction: (tx) => ({
          ...tx,
          tokens: {
            ...tx.tokens,
            setStatus: async () => {
              throw new Error('SQLITE_IOERR: disk I/O error in /var/lib/tokendesk/tokendesk.db')
            },
          },
        }),
      })
    const t = await buildTestApp({ wrapStore, clock: manualClock(NOW) })
    const { userId, serial } = await assignedToken(t)
    const response = await enable(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
    expect(response.body).not.toMatch(/SQLITE|disk|tokendesk\.db|stack|at .*\.ts/)
    expect(response.headers['x-request-id']).toEqual(expect.any(String))
    // Nothing was enabled: the audit trail holds no token.enabled event.
    const events = await t.runtime.store.read.audit.list(t.company.id)
    expect(events.some((event) => event.action === 'token.enabled')).toBe(false)
  })
})

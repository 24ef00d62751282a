import type { Store } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import {
  buildTestApp,
  importTokens,
  manualClock,
  setRateLimit,
  storeWith,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

/** [ext] `PATCH /v1/users/{id}` and `DELETE /v1/users/{id}` (admin-api.md §9): SUPER_ADMIN only. */
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 7)
const UNKNOWN = '54082ac6-4713-4368-a251-df813c41159f'

const patch = (t: TestApp, userId: string, body: unknown, key = t.company.superAdmin) =>
  t.call('PATCH', `/v1/users/${userId}`, body, key)
const remove = (t: TestApp, userId: string, key = t.company.superAdmin) =>
  t.call('DELETE', `/v1/users/${userId}`, undefined, key)
const lookup = (t: TestApp, email: string) =>
  t.call('POST', '/v1/users/lookup', { email }, t.company.helpDesk)

let serials = 0
const nextSerial = () => `0${String(500_000 + ++serials)}`

describe('PATCH /v1/users/{id}', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })

  it('changes the fields sent, clears those sent as null, keeps the others', async () => {
    const t = shared()
    const userId = await t.createUser('patch.me@example.com', {
      firstName: 'Pat',
      lastName: 'Old',
      smsNumber: '+15550100',
      voiceNumber: '+15550101',
    })
    clock.advance(1_000)
    const response = await patch(t, userId, { lastName: 'New', smsNumber: null })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      id: userId,
      emailAddress: 'patch.me@example.com',
      firstName: 'Pat',
      lastName: 'New',
      smsNumber: null,
      voiceNumber: '+15550101',
    })
    expect((await lookup(t, 'patch.me@example.com')).json()).toMatchObject({
      lastName: 'New',
      smsNumber: null,
    })
    const events = await t.runtime.store.read.audit.list(t.company.id)
    expect(events.at(-1)).toMatchObject({
      action: 'user.updated',
      targetId: userId,
      details: { fields: ['lastName', 'smsNumber'] },
    })
  })

  it.each([
    ['an empty body', {}],
    ['no body', undefined],
    ['an unknown property', { emailAddress: 'x@example.com' }],
    ['a number', { firstName: 5 }],
    ['a name over 100 characters', { firstName: 'x'.repeat(101) }],
    ['a phone number over 32 characters', { voiceNumber: '1'.repeat(33) }],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await patch(t, userId, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 403 to a HELP_DESK_ADMIN key and changes nothing', async () => {
    const t = shared()
    const userId = await t.createUser('patch.hd@example.com', { firstName: 'Kept' })
    const response = await patch(t, userId, { firstName: 'Changed' }, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect((await lookup(t, 'patch.hd@example.com')).json().firstName).toBe('Kept')
  })

  it.each([
    ['an unknown user', UNKNOWN],
    ['a malformed id', 'nobody'],
  ])('answers 404 for %s', async (_label, userId) => {
    const t = shared()
    const response = await patch(t, userId, { firstName: 'X' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })
})

describe('DELETE /v1/users/{id}', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })

  it('revokes codes, unassigns tokens, keeps the audit trail; the user is 404 afterwards', async () => {
    const t = shared()
    const userId = await t.createUser('leaving@example.com')
    const [a, b] = [nextSerial(), nextSerial()]
    await importTokens(t, [a, b])
    for (const serial of [a, b]) {
      await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: serial })
    }
    await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: a })
    const code = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
    expect(code.statusCode).toBe(200)
    clock.advance(60_000)

    const response = await remove(t, userId)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      emailAddress: 'leaving@example.com',
      deletedAt: '2026-11-23T10:01:00.007Z',
      revokedEmergencyTokencodes: 1,
      unassignedTokenSerialNumbers: [a, b].sort(),
    })

    // Gone for every route.
    expect((await lookup(t, 'leaving@example.com')).statusCode).toBe(404)
    expect((await t.call('GET', `/v2/users/${userId}/devices`)).statusCode).toBe(404)
    expect((await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})).statusCode).toBe(404)
    expect((await remove(t, userId)).statusCode).toBe(404)
    const search = await t.call('POST', '/v1/users/search', { emailLike: 'leaving@' })
    expect(search.json()).toEqual([])

    // The tokens are free again: Unassigned and Disabled.
    for (const serial of [a, b]) {
      expect(await t.runtime.store.read.tokens.findBySerial(t.company.id, serial)).toMatchObject({
        state: 'Unassigned',
        status: 'Disabled',
        assignedUserId: null,
      })
    }
    // The code was revoked online.
    const latest = await t.runtime.store.read.emergencyCodes.findLatest(t.company.id, userId)
    expect(latest?.revokedAt).toBe(NOW + 60_000)

    // The history stays, with the deletion at its end.
    const events = (await t.runtime.store.read.audit.list(t.company.id)).filter(
      (event) => event.targetId === userId || [a, b].includes(event.targetId ?? ''),
    )
    expect(events.map((event) => event.action)).toEqual([
      'user.created',
      'token.assigned',
      'token.assigned',
      'token.enabled',
      'emergency_code.enabled',
      'token.unassigned',
      'token.unassigned',
      'user.deleted',
    ])
  })

  it('lets the email address be used again, by a new user with a new id', async () => {
    const t = shared()
    const first = await t.createUser('Reuse.Me@example.com')
    expect((await remove(t, first)).statusCode).toBe(200)
    const second = await t.createUser('reuse.me@example.com')
    expect(second).not.toBe(first)
    const found = await lookup(t, 'REUSE.ME@example.com')
    expect(found.json()).toMatchObject({ id: second, emailAddress: 'reuse.me@example.com' })
  })

  it('answers 403 to a HELP_DESK_ADMIN key and keeps the user', async () => {
    const t = shared()
    const userId = await t.createUser('kept@example.com')
    const response = await remove(t, userId, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect((await lookup(t, 'kept@example.com')).statusCode).toBe(200)
  })

  it.each([
    ['an unknown user', UNKNOWN],
    ['a malformed id', 'nobody'],
  ])('answers 404 for %s', async (_label, userId) => {
    const t = shared()
    const response = await remove(t, userId)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('answers 404 for a user of another company', async () => {
    const t = shared()
    const other = await t.addCompany('Delete Other Co')
    const userId = await t.createUser()
    expect((await remove(t, userId, other.superAdmin)).statusCode).toBe(404)
  })
})

describe('user update and delete when things go wrong', () => {
  const routes = [
    ['PATCH', (t: TestApp, id: string) => patch(t, id, { firstName: 'Y' })],
    ['DELETE', (t: TestApp, id: string) => remove(t, id)],
  ] as const

  it.each(routes)('%s answers 429 over the rate limit', async (_label, call) => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const [first, second] = [await t.createUser(), await t.createUser()]
    await setRateLimit(t, 1, 1)
    expect((await call(t, first)).statusCode).toBe(200)
    const limited = await call(t, second)
    expect(limited.statusCode).toBe(429)
  })

  it.each(routes)('%s answers 500 and changes nothing when storage fails', async (_label, call) => {
    let failing = false
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        inTransaction: (tx) =>
          failing
            ? {
                ...tx,
                audit: {
                  ...tx.audit,
                  append: async () => {
                    throw new Error('SQLITE_FULL: database or disk is full')
                  },
                },
              }
            : tx,
      })
    const t = await buildTestApp({ wrapStore, clock: manualClock(NOW) })
    const userId = await t.createUser('fragile@example.com', { firstName: 'X' })
    failing = true
    const response = await call(t, userId)
    failing = false
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
    expect((await lookup(t, 'fragile@example.com')).json()).toMatchObject({
      id: userId,
      firstName: 'X',
    })
  })
})

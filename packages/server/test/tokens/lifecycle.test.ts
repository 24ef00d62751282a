import type { Store } from '@tokendesk/core'
import type { KyselyStore } from '@tokendesk/storage'
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

/**
 * The neighbours of enable (admin-api.md §8.2): disable, unassign, clearPin, delete and the v2
 * devices list, with enable's error rules: 404 for an unknown user or serial, 409 for a token
 * that is not this user's.
 */
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 45) // 2026-11-23T10:00:00.045Z

let serialCounter = 0
const nextSerial = (): string => {
  serialCounter += 1
  return `00${String(700_000_000 + serialCounter)}`
}

type Method = 'GET' | 'PATCH' | 'DELETE'
const ROUTES: { name: string; method: Method; path: (userId: string) => string }[] = [
  { name: 'disable', method: 'PATCH', path: (id) => `/v1/users/${id}/sidTokens/disable` },
  { name: 'unassign', method: 'PATCH', path: (id) => `/v1/users/${id}/sidTokens/unassign` },
  { name: 'clearPin', method: 'PATCH', path: (id) => `/v2/users/${id}/sidTokens/clearPin` },
]

const assign = async (t: TestApp, userId: string, serial: string) => {
  const response = await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
    tokenSerialNumber: serial,
  })
  expect(response.statusCode).toBe(200)
}

const assignedToken = async (t: TestApp): Promise<{ userId: string; serial: string }> => {
  const serial = nextSerial()
  await importTokens(t, [serial])
  const userId = await t.createUser()
  await assign(t, userId, serial)
  return { userId, serial }
}

const devices = async (t: TestApp, userId: string, key = t.company.helpDesk) => {
  const response = await t.call('GET', `/v2/users/${userId}/devices`, undefined, key)
  expect(response.statusCode).toBe(200)
  return response.json()
}

/** Sets a token's PIN flag as the Authentication API will once a holder sets a PIN. */
const markPinSet = async (t: TestApp, serial: string) => {
  const { db, engine } = t.runtime.store as KyselyStore
  await db
    .updateTable('tokens')
    .set({ pin_set: engine === 'postgres' ? true : 1 })
    .where('company_id', '=', t.company.id)
    .where('serial', '=', serial)
    .execute()
}

const auditActions = async (t: TestApp) =>
  (await t.runtime.store.read.audit.list(t.company.id)).map((event) => ({
    action: event.action,
    targetId: event.targetId,
    details: event.details,
  }))

describe('hardware token lifecycle routes', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  describe('PATCH /v1/users/{id}/sidTokens/disable', () => {
    it('disables an enabled token: 200 with the enable-shaped body and the change time', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const path = `/v1/users/${userId}/sidTokens`
      expect(
        (await t.call('PATCH', `${path}/enable`, { tokenSerialNumber: serial })).statusCode,
      ).toBe(200)
      clock.advance(1_000)
      const response = await t.call(
        'PATCH',
        `${path}/disable`,
        { tokenSerialNumber: serial },
        t.company.helpDesk,
      )
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        userId,
        tokenSerialNumber: serial,
        tokenStatus: 'Disabled',
        tokenStatusChangedBy: t.company.helpDesk.accessID,
        tokenStatusChangedAt: '2026-11-23T10:00:01.045Z',
      })
      expect((await devices(t, userId)).sidTokens[0].tokenStatus).toBe('Disabled')
      expect(await auditActions(t)).toContainEqual({
        action: 'token.disabled',
        targetId: serial,
        details: { userId },
      })
    })

    it('answers 200 and changes nothing for a token that is already disabled', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const response = await t.call('PATCH', `/v1/users/${userId}/sidTokens/disable`, {
        tokenSerialNumber: serial,
      })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toMatchObject({
        tokenStatus: 'Disabled',
        tokenStatusChangedBy: null,
        tokenStatusChangedAt: null,
      })
    })
  })

  describe('PATCH /v1/users/{id}/sidTokens/unassign', () => {
    it('returns the token to Unassigned and Disabled, without holder or PIN', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: serial })
      await markPinSet(t, serial)
      clock.advance(2_000)
      const response = await t.call(
        'PATCH',
        `/v1/users/${userId}/sidTokens/unassign`,
        { tokenSerialNumber: serial },
        t.company.helpDesk,
      )
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ tokenSerialNumber: serial, tokenState: 'Unassigned' })
      expect(Object.keys(response.json())).toEqual(['tokenSerialNumber', 'tokenState'])
      expect((await devices(t, userId)).sidTokens).toEqual([])

      const token = await t.runtime.store.read.tokens.findBySerial(t.company.id, serial)
      expect(token).toMatchObject({
        state: 'Unassigned',
        status: 'Disabled',
        assignedUserId: null,
        assignedAt: null,
        assignedBy: null,
        pinSet: false,
        statusChangedAt: NOW + 2_000,
        statusChangedBy: t.company.helpDesk.accessID,
      })
      expect(await auditActions(t)).toContainEqual({
        action: 'token.unassigned',
        targetId: serial,
        details: { userId },
      })

      // Free again: another user may take it, and it starts disabled.
      const next = await t.createUser()
      const reassigned = await t.call('PATCH', `/v1/users/${next}/sidTokens/assign`, {
        tokenSerialNumber: serial,
      })
      expect(reassigned.json()).toMatchObject({
        userId: next,
        tokenState: 'Activation Pending',
        tokenStatus: 'Disabled',
      })
    })

    it('answers 409 for a token that is already unassigned', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const path = `/v1/users/${userId}/sidTokens/unassign`
      expect((await t.call('PATCH', path, { tokenSerialNumber: serial })).statusCode).toBe(200)
      const again = await t.call('PATCH', path, { tokenSerialNumber: serial })
      expect(again.statusCode).toBe(409)
      expect(again.json()).toEqual({
        code: '409 CONFLICT',
        description: `Token ${serial} is not assigned to user ${userId}.`,
      })
    })
  })

  describe('PATCH /v2/users/{id}/sidTokens/clearPin', () => {
    it('clears the PIN: 200 with pinSet the string "false"', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      await markPinSet(t, serial)
      expect((await devices(t, userId)).sidTokens[0].pinSet).toBe('true')
      const response = await t.call(
        'PATCH',
        `/v2/users/${userId}/sidTokens/clearPin`,
        { tokenSerialNumber: serial },
        t.company.helpDesk,
      )
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ userId, tokenSerialNumber: serial, pinSet: 'false' })
      expect(response.body).toContain('"pinSet":"false"')
      expect((await devices(t, userId)).sidTokens[0].pinSet).toBe('false')
      expect(await auditActions(t)).toContainEqual({
        action: 'token.pin_cleared',
        targetId: serial,
        details: { userId },
      })
    })

    it('keeps the token assigned and its status as it was', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: serial })
      await t.call('PATCH', `/v2/users/${userId}/sidTokens/clearPin`, { tokenSerialNumber: serial })
      expect((await devices(t, userId)).sidTokens[0]).toMatchObject({
        tokenState: 'Activation Pending',
        tokenStatus: 'Enabled',
      })
    })
  })

  describe('DELETE /v1/sidTokens/delete', () => {
    it('deletes an assigned token: 200 with the token as it was', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const response = await t.call('DELETE', '/v1/sidTokens/delete', {
        tokenSerialNumber: serial,
      })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({
        tokenSerialNumber: serial,
        tokenName: serial,
        tokenState: 'Activation Pending',
        tokenStatus: 'Disabled',
        userId,
      })
      expect((await devices(t, userId)).sidTokens).toEqual([])
      expect(await t.runtime.store.read.tokens.findBySerial(t.company.id, serial)).toBeUndefined()
      expect(await auditActions(t)).toContainEqual({
        action: 'token.deleted',
        targetId: serial,
        details: { userId },
      })
      // Gone: the same serial can be imported again.
      await importTokens(t, [serial])
    })

    it('deletes an unassigned token (userId null), then answers 404 for it', async () => {
      const t = shared()
      const serial = nextSerial()
      await importTokens(t, [serial])
      const first = await t.call('DELETE', '/v1/sidTokens/delete', { tokenSerialNumber: serial })
      expect(first.statusCode).toBe(200)
      expect(first.json()).toMatchObject({ tokenState: 'Unassigned', userId: null })
      const again = await t.call('DELETE', '/v1/sidTokens/delete', { tokenSerialNumber: serial })
      expect(again.statusCode).toBe(404)
      expect(again.json()).toEqual({
        code: '404 NOT_FOUND',
        description: `Token ${serial} not found`,
      })
    })

    it('answers 403 to a HELP_DESK_ADMIN key and keeps the token', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const response = await t.call(
        'DELETE',
        '/v1/sidTokens/delete',
        { tokenSerialNumber: serial },
        t.company.helpDesk,
      )
      expect(response.statusCode).toBe(403)
      expect(response.json()).toEqual({
        code: '403 FORBIDDEN',
        description: 'Not authorized to perform the request.',
      })
      expect((await devices(t, userId)).sidTokens).toHaveLength(1)
    })

    it('answers 404 for a token of another company', async () => {
      const t = shared()
      const other = await t.addCompany('Lifecycle Other Co')
      const serial = nextSerial()
      await importTokens(t, [serial], other.superAdmin)
      const response = await t.call('DELETE', '/v1/sidTokens/delete', {
        tokenSerialNumber: serial,
      })
      expect(response.statusCode).toBe(404)
    })

    it.each([
      ['no body', undefined],
      ['a missing serial', {}],
      ['a 37-character serial', { tokenSerialNumber: '1'.repeat(37) }],
      ['an extra property', { tokenSerialNumber: '1', userId: 'x' }],
    ])('answers 400 for %s', async (_label, body) => {
      const t = shared()
      const response = await t.call('DELETE', '/v1/sidTokens/delete', body)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('400 BAD_REQUEST')
    })
  })

  describe('GET /v2/users/{id}/devices', () => {
    it('lists the user’s hardware tokens with RSA’s element fields, null where none', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const second = nextSerial()
      await importTokens(t, [second])
      clock.advance(10)
      await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
        tokenSerialNumber: second,
        tokenName: 'Desk fob',
      })
      await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: second })
      const body = await devices(t, userId)
      expect(Object.keys(body)).toEqual(['devices', 'fidoTokens', 'sidTokens'])
      expect(body.devices).toEqual([])
      expect(body.fidoTokens).toEqual([])
      expect(body.sidTokens).toEqual([
        {
          id: expect.any(String),
          name: serial,
          userId,
          tokenSerialNumber: serial,
          tokenState: 'Activation Pending',
          tokenStatus: 'Disabled',
          assignedAt: '2026-11-23T10:00:00.045Z',
          assignedBy: t.company.superAdmin.accessID,
          pinSet: 'false',
          tokenStatusChangedAt: null,
          tokenStatusChangedBy: null,
          expiryDate: null,
          tokenStatusReason: null,
        },
        {
          id: expect.any(String),
          name: 'Desk fob',
          userId,
          tokenSerialNumber: second,
          tokenState: 'Activation Pending',
          tokenStatus: 'Enabled',
          assignedAt: '2026-11-23T10:00:00.055Z',
          assignedBy: t.company.superAdmin.accessID,
          pinSet: 'false',
          tokenStatusChangedAt: '2026-11-23T10:00:00.055Z',
          tokenStatusChangedBy: t.company.superAdmin.accessID,
          expiryDate: null,
          tokenStatusReason: null,
        },
      ])
      expect(body.sidTokens[0].id).not.toBe(body.sidTokens[1].id)
    })

    it('answers an empty list for a user without tokens', async () => {
      const t = shared()
      const userId = await t.createUser()
      expect(await devices(t, userId)).toEqual({ devices: [], fidoTokens: [], sidTokens: [] })
    })

    it.each([
      ['an unknown user', '54082ac6-4713-4368-a251-df813c41159f'],
      ['a malformed id', 'nobody'],
    ])('answers 404 User <id> not found for %s', async (_label, userId) => {
      const t = shared()
      const response = await t.call('GET', `/v2/users/${userId}/devices`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({
        code: '404 NOT_FOUND',
        description: `User ${userId} not found`,
      })
    })

    it('answers 404 for a user of another company', async () => {
      const t = shared()
      const other = await t.addCompany('Devices Other Co')
      const userId = await t.createUser()
      const response = await t.call('GET', `/v2/users/${userId}/devices`, undefined, other.helpDesk)
      expect(response.statusCode).toBe(404)
    })
  })

  describe.each(ROUTES)('$name: error rules shared with enable', ({ method, path }) => {
    it('answers 404 User <id> not found for an unknown or malformed user', async () => {
      const t = shared()
      const { serial } = await assignedToken(t)
      for (const userId of ['54082ac6-4713-4368-a251-df813c41159f', 'someone']) {
        const response = await t.call(method, path(userId), { tokenSerialNumber: serial })
        expect(response.statusCode).toBe(404)
        expect(response.json()).toEqual({
          code: '404 NOT_FOUND',
          description: `User ${userId} not found`,
        })
      }
    })

    it('answers 404 Token <serial> not found for an unknown serial', async () => {
      const t = shared()
      const userId = await t.createUser()
      const response = await t.call(method, path(userId), { tokenSerialNumber: '0999' })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({
        code: '404 NOT_FOUND',
        description: 'Token 0999 not found',
      })
    })

    it('answers 409 for a token of another user, and leaves it with its holder', async () => {
      const t = shared()
      const { userId: owner, serial } = await assignedToken(t)
      const intruder = await t.createUser()
      const response = await t.call(method, path(intruder), { tokenSerialNumber: serial })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual({
        code: '409 CONFLICT',
        description: `Token ${serial} is not assigned to user ${intruder}.`,
      })
      expect((await devices(t, owner)).sidTokens).toHaveLength(1)
    })

    it('answers 409 for an unassigned token', async () => {
      const t = shared()
      const serial = nextSerial()
      await importTokens(t, [serial])
      const userId = await t.createUser()
      const response = await t.call(method, path(userId), { tokenSerialNumber: serial })
      expect(response.statusCode).toBe(409)
    })

    it.each([
      ['a missing serial', {}],
      ['a number', { tokenSerialNumber: 12 }],
      ['an extra property', { tokenSerialNumber: '12', tokenName: 'x' }],
    ])('answers 400 for %s', async (_label, body) => {
      const t = shared()
      const { userId } = await assignedToken(t)
      const response = await t.call(method, path(userId), body)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('400 BAD_REQUEST')
    })

    it('answers 403 with the Spring body without credentials', async () => {
      const t = shared()
      const { userId, serial } = await assignedToken(t)
      const url = `${ADMIN}${path(userId)}`
      const response = await t.app.inject({
        method,
        url,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ tokenSerialNumber: serial }),
      })
      expect(response.statusCode).toBe(403)
      expect(response.json()).toMatchObject({ status: 403, error: 'Forbidden', path: url })
    })
  })
})

/** Calls of every new token route on a fresh arrangement, for the 429 and 500 checks. */
const EVERY_ROUTE: {
  name: string
  call: (t: TestApp, userId: string, serial: string) => ReturnType<TestApp['call']>
}[] = [
  ...ROUTES.map(({ name, method, path }) => ({
    name,
    call: (t: TestApp, userId: string, serial: string) =>
      t.call(method, path(userId), { tokenSerialNumber: serial }),
  })),
  {
    name: 'delete',
    call: (t, _userId, serial) =>
      t.call('DELETE', '/v1/sidTokens/delete', { tokenSerialNumber: serial }),
  },
  { name: 'devices', call: (t, userId) => t.call('GET', `/v2/users/${userId}/devices`) },
]

describe.each(EVERY_ROUTE)('$name when things go wrong', ({ call }) => {
  it('answers 429 once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const { userId, serial } = await assignedToken(t)
    await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: serial })
    await setRateLimit(t, 1, 1)
    expect((await call(t, userId, serial)).statusCode).toBe(200)
    const limited = await call(t, userId, serial)
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('answers 500 An internal error occurred. when storage fails, and changes nothing', async () => {
    let failing = false
    const boom = async () => {
      throw new Error('SQLITE_IOERR: disk I/O error in /var/lib/tokendesk/tokendesk.db')
    }
    const wrapStore = (store: Store): Store => {
      const tokens = (tx: Store['read']) =>
        failing ? { ...tx.tokens, listAssigned: boom, findBySerial: boom } : tx.tokens
      return storeWith(store, {
        read: () => ({ ...store.read, tokens: tokens(store.read) }),
        inTransaction: (tx) => ({ ...tx, tokens: tokens(tx) }),
      })
    }
    const t = await buildTestApp({ wrapStore, clock: manualClock(NOW) })
    const { userId, serial } = await assignedToken(t)
    const before = (await t.runtime.store.read.audit.list(t.company.id)).length
    failing = true
    const response = await call(t, userId, serial)
    failing = false
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
    expect(response.body).not.toMatch(/SQLITE|disk|tokendesk\.db/)
    expect(await t.runtime.store.read.audit.list(t.company.id)).toHaveLength(before)
  })
})

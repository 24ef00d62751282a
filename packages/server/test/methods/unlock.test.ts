import type { Store } from '@tokendesk/core'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import {
  ADMIN,
  buildTestApp,
  manualClock,
  setRateLimit,
  storeWith,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 0)

type Method = 'TOKEN' | 'SMS' | 'VOICE' | 'SECURID' | 'EMERGENCY_TOKENCODE'

/**
 * Locks methods the way failed verifications will (until the Authentication API lands):
 * a row per method in `method_locks`. `locked: false` leaves a failure count without a lock.
 */
const lockMethods = (
  t: TestApp,
  userId: string,
  methods: readonly Method[],
  { failedCount = 3, locked = true }: { failedCount?: number; locked?: boolean } = {},
): void => {
  const db = new Database(t.databaseFile, { fileMustExist: true })
  try {
    const insert = db.prepare(
      `insert into method_locks (company_id, user_id, method, failed_count, locked_at, last_failure_at)
       values (?, ?, ?, ?, ?, ?)`,
    )
    for (const method of methods) {
      insert.run(t.company.id, userId, method, failedCount, locked ? NOW : null, NOW)
    }
  } finally {
    db.close()
  }
}

const lockRows = (t: TestApp, userId: string) => {
  const db = new Database(t.databaseFile, { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare(
        'select method, failed_count, locked_at from method_locks where user_id = ? order by method',
      )
      .all(userId) as { method: Method; failed_count: number; locked_at: number | null }[]
  } finally {
    db.close()
  }
}

const unlock = (t: TestApp, userId: string, body: unknown, key = t.company.superAdmin) =>
  t.call('PATCH', `/v1/users/${userId}/methods`, body, key)

const emails = new Map<string, string>()
let counter = 0
const newUser = async (t: TestApp): Promise<string> => {
  counter += 1
  const email = `unlock-${counter}@example.com`
  const id = await t.createUser(email)
  emails.set(id, email)
  return id
}

/** User Details of a user made by `newUser`. */
const lookup = async (t: TestApp, userId: string) => {
  const response = await t.call('POST', '/v1/users/lookup', { email: emails.get(userId) })
  expect(response.statusCode).toBe(200)
  return response.json()
}

describe('PATCH /v1/users/{id}/methods', () => {
  const shared = useSharedTestApp()

  it('answers the state of all three documented methods, whichever were named', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN', 'SMS'])
    const before = await lookup(t, userId)
    expect(before).toMatchObject({ isTokenLocked: true, isSmsLocked: true, isVoiceLocked: false })

    const response = await unlock(t, userId, { unlockMethods: ['SMS'] })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: true,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
    expect(Object.keys(response.json())).toEqual([
      'userId',
      'isTokenLocked',
      'isSmsLocked',
      'isVoiceLocked',
    ])
    const after = await lookup(t, userId)
    expect(after).toMatchObject({ isTokenLocked: true, isSmsLocked: false, isVoiceLocked: false })
    expect(lockRows(t, userId).map((row) => row.method)).toEqual(['TOKEN'])
  })

  it('unlocks every named method and clears their failure counts', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN', 'SMS', 'VOICE'])
    const response = await unlock(t, userId, { unlockMethods: ['TOKEN', 'VOICE', 'SMS'] })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
    expect(lockRows(t, userId).filter((row) => row.failed_count > 0)).toEqual([])
    expect(await lookup(t, userId)).toMatchObject({
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
  })

  it('clears a failure count that has not locked yet', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN'], { failedCount: 2, locked: false })
    const response = await unlock(t, userId, { unlockMethods: ['TOKEN'] })
    expect(response.statusCode).toBe(200)
    expect(response.json().isTokenLocked).toBe(false)
    const rows = lockRows(t, userId)
    expect(rows.every((row) => row.failed_count === 0 && row.locked_at === null)).toBe(true)
  })

  it('answers 200 for a user with nothing locked', async () => {
    const t = shared()
    const userId = await newUser(t)
    const response = await unlock(t, userId, { unlockMethods: ['VOICE'] })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
  })

  it('accepts the SECURID and EMERGENCY_TOKENCODE extensions and answers the documented flags only', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['SECURID', 'EMERGENCY_TOKENCODE', 'VOICE'])
    const response = await unlock(t, userId, { unlockMethods: ['SECURID', 'EMERGENCY_TOKENCODE'] })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: true,
    })
    expect(lockRows(t, userId).map((row) => row.method)).toEqual(['VOICE'])
  })

  it('lets a HELP_DESK_ADMIN key unlock', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN'])
    const response = await unlock(t, userId, { unlockMethods: ['TOKEN'] }, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    expect(response.json().isTokenLocked).toBe(false)
    expect(lockRows(t, userId)).toEqual([])
  })

  it.each([
    ['a word', 'not-a-uuid'],
    ['a uuid without dashes', 'f10d05147dd14a13a30e236d0e65b56a'],
    ['a uuid in braces', '{f10d0514-7dd1-4a13-a30e-236d0e65b56a}'],
  ])('answers 400 Invalid User ID. for %s', async (_label, userId) => {
    const t = shared()
    const response = await unlock(t, userId, { unlockMethods: ['TOKEN'] })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ code: '400 BAD_REQUEST', description: 'Invalid User ID.' })
  })

  it('takes the upper-case form of a user id (UUIDs are case-insensitive); unknown → 404', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN'])
    const response = await unlock(t, userId.toUpperCase(), { unlockMethods: ['TOKEN'] })
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
    expect(lockRows(t, userId)).toEqual([])
    const unknown = await unlock(t, 'F10D0514-7DD1-4A13-A30E-236D0E65B56A', {
      unlockMethods: ['TOKEN'],
    })
    expect(unknown.statusCode).toBe(404)
  })

  it.each([
    ['an empty array', { unlockMethods: [] }],
    ['a duplicate', { unlockMethods: ['TOKEN', 'TOKEN'] }],
    ['an unknown method', { unlockMethods: ['FOO'] }],
    ['a lower-case method', { unlockMethods: ['token'] }],
    ['a string instead of an array', { unlockMethods: 'TOKEN' }],
    ['null', { unlockMethods: null }],
    ['a number in the array', { unlockMethods: [1] }],
    ['an empty object', {}],
    ['an array body', []],
  ])('answers 400 and changes nothing for %s', async (_label, body) => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN'])
    const response = await unlock(t, userId, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect(Object.keys(response.json()).sort()).toEqual(['code', 'description'])
    expect(response.json().description).not.toBe('Wrong number of properties in the request body.')
    expect(lockRows(t, userId)).toHaveLength(1)
  })

  it('answers 400 for a missing body', async () => {
    const t = shared()
    const userId = await newUser(t)
    const response = await unlock(t, userId, undefined)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const userId = await newUser(t)
    lockMethods(t, userId, ['SMS'])
    const response = await unlock(t, userId, { unlockMethods: ['SMS'], force: true })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
    expect(lockRows(t, userId)).toHaveLength(1)
  })

  it('answers 403 with the Spring body to a request without a valid JWT', async () => {
    const t = shared()
    const userId = await newUser(t)
    const path = `${ADMIN}/v1/users/${userId}/methods`
    for (const authorization of [undefined, 'Bearer not.a.jwt']) {
      const response = await t.app.inject({
        method: 'PATCH',
        url: path,
        headers: {
          'content-type': 'application/json',
          ...(authorization && { authorization }),
        },
        payload: JSON.stringify({ unlockMethods: ['TOKEN'] }),
      })
      expect(response.statusCode).toBe(403)
      const body = response.json()
      expect(Object.keys(body).sort()).toEqual(['error', 'message', 'path', 'status', 'timestamp'])
      expect(body).toMatchObject({
        status: 403,
        error: 'Forbidden',
        message: 'Server failed to process provided access token',
        path,
      })
      expect(Number.isInteger(body.timestamp)).toBe(true)
    }
  })

  it.each([['an unknown user', '54082ac6-4713-4368-a251-df813c41159f']])(
    'answers 404 User <id> not found for %s',
    async (_label, userId) => {
      const t = shared()
      const response = await unlock(t, userId, { unlockMethods: ['TOKEN'] })
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({
        code: '404 NOT_FOUND',
        description: `User ${userId} not found`,
      })
    },
  )
})

describe('PATCH /v1/users/{id}/methods when things go wrong', () => {
  it('answers 429 once the key is over the company rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser()
    await setRateLimit(t, 1, 1)
    expect((await unlock(t, userId, { unlockMethods: ['TOKEN'] })).statusCode).toBe(200)
    const limited = await unlock(t, userId, { unlockMethods: ['TOKEN'] })
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  })

  it('answers the locks as User Details does: one past autoUnlockAfterMinutes is over', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    await t.runtime.services.companies.updateSettings(t.cliContext(), {
      lockout: { autoUnlockAfterMinutes: 5 },
    })
    const userId = await newUser(t)
    lockMethods(t, userId, ['TOKEN', 'SMS'])
    const state = (locked: boolean) => ({
      isTokenLocked: locked,
      isSmsLocked: locked,
      isVoiceLocked: false,
    })

    clock.advance(5 * 60_000 - 1)
    const before = await unlock(t, userId, { unlockMethods: ['VOICE'] })
    expect(before.json()).toEqual({ userId, ...state(true) })
    expect(await lookup(t, userId)).toMatchObject(state(true))

    clock.advance(1)
    const after = await unlock(t, userId, { unlockMethods: ['VOICE'] })
    expect(after.statusCode).toBe(200)
    expect(after.json()).toEqual({ userId, ...state(false) })
    expect(await lookup(t, userId)).toMatchObject(state(false))
  })

  it('answers 500 with the lock state read back when storage fails mid-way', async () => {
    let failTransactions = false
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        transaction: (work) =>
          store.transaction(async (tx) => {
            const result = await work(tx)
            if (failTransactions) throw new Error('disk I/O error at /var/lib/tokendesk/db')
            return result
          }),
      })
    const t = await buildTestApp({ wrapStore })
    const userId = await t.createUser()
    lockMethods(t, userId, ['TOKEN', 'SMS'])

    failTransactions = true
    const response = await unlock(t, userId, { unlockMethods: ['TOKEN', 'SMS', 'VOICE'] })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      userId,
      isTokenLocked: true,
      isSmsLocked: true,
      isVoiceLocked: false,
    })
    expect(response.body).not.toContain('disk')
    expect(lockRows(t, userId).map((row) => row.method)).toEqual(['SMS', 'TOKEN'])

    failTransactions = false
    const retried = await unlock(t, userId, { unlockMethods: ['TOKEN', 'SMS'] })
    expect(retried.statusCode).toBe(200)
    expect(retried.json()).toEqual({
      userId,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
  })
})

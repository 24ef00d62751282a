import Database from 'better-sqlite3'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  base32Secret,
  importTokens,
  manualClock,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 321) // 2026-11-23T10:00:00.321Z

let serialCounter = 0
const nextSerial = (): string => {
  serialCounter += 1
  return `00${String(500_000_000 + serialCounter)}`
}

const assign = (t: TestApp, userId: string, body: unknown, key = t.company.superAdmin) =>
  t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, body, key)

const importBody = (serials: readonly string[]) => ({
  tokens: serials.map((tokenSerialNumber) => ({ tokenSerialNumber, secret: base32Secret() })),
})

const storedSerials = (t: TestApp): string[] => {
  const db = new Database(t.databaseFile, { readonly: true, fileMustExist: true })
  try {
    return (
      db
        .prepare('select serial from tokens where company_id = ? order by serial')
        .all(t.company.id) as { serial: string }[]
    ).map((row) => row.serial)
  } finally {
    db.close()
  }
}

describe('PATCH /v1/users/{id}/sidTokens/assign', () => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  beforeEach(() => clock.set(NOW))

  it('assigns a token: Activation Pending, still Disabled, named after its serial', async () => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const userId = await t.createUser()
    const response = await assign(t, userId, { tokenSerialNumber: serial }, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      userId,
      tokenSerialNumber: serial,
      tokenName: serial,
      tokenState: 'Activation Pending',
      tokenStatus: 'Disabled',
      assignedAt: '2026-11-23T10:00:00.321Z',
      assignedBy: t.company.helpDesk.accessID,
    })
  })

  it('uses the given token name', async () => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const userId = await t.createUser()
    const response = await assign(t, userId, { tokenSerialNumber: serial, tokenName: "Jane's fob" })
    expect(response.statusCode).toBe(200)
    expect(response.json().tokenName).toBe("Jane's fob")
  })

  it('is idempotent for the same user: 200 and nothing changes', async () => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const userId = await t.createUser()
    const first = await assign(t, userId, { tokenSerialNumber: serial, tokenName: 'first' })
    clock.advance(60_000)
    const again = await assign(
      t,
      userId,
      { tokenSerialNumber: serial, tokenName: 'second' },
      t.company.helpDesk,
    )
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(first.json())
  })

  it('answers 409 for a token assigned to another user', async () => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const owner = await t.createUser()
    const other = await t.createUser()
    expect((await assign(t, owner, { tokenSerialNumber: serial })).statusCode).toBe(200)
    const response = await assign(t, other, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      code: '409 CONFLICT',
      description: `Token ${serial} is assigned to another user.`,
    })
  })

  it('answers 409 for a sixth token (a user holds at most 5)', async () => {
    const t = shared()
    const serials = [1, 2, 3, 4, 5, 6].map(() => nextSerial())
    await importTokens(t, serials)
    const userId = await t.createUser()
    for (const serial of serials.slice(0, 5)) {
      expect((await assign(t, userId, { tokenSerialNumber: serial })).statusCode).toBe(200)
    }
    const sixth = await assign(t, userId, { tokenSerialNumber: serials[5] })
    expect(sixth.statusCode).toBe(409)
    expect(sixth.json()).toEqual({
      code: '409 CONFLICT',
      description: `User ${userId} already has 5 hardware tokens.`,
    })
    // Re-assigning one the user already holds is still fine.
    expect((await assign(t, userId, { tokenSerialNumber: serials[0] })).statusCode).toBe(200)
  })

  it.each([
    ['an unknown user', '54082ac6-4713-4368-a251-df813c41159f'],
    ['a malformed user id', 'x'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const serial = nextSerial()
    await importTokens(t, [serial])
    const response = await assign(t, userId, { tokenSerialNumber: serial })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })

  it('answers 404 Token <serial> not found for an unknown serial', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await assign(t, userId, { tokenSerialNumber: '0000' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ code: '404 NOT_FOUND', description: 'Token 0000 not found' })
  })

  it.each([
    ['a missing serial', { tokenName: 'x' }],
    ['a numeric serial', { tokenSerialNumber: 5 }],
    ['an empty name', { tokenSerialNumber: '1', tokenName: '' }],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await assign(t, userId, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await assign(t, userId, { tokenSerialNumber: '1', pin: '1234' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
  })
})

describe('POST /v1/sidTokens/import', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('imports all tokens: 200 with the count and the serials', async () => {
    const t = shared()
    const serials = ['000123456789', '000123456790', '42']
    const response = await t.call('POST', '/v1/sidTokens/import', {
      tokens: [
        { tokenSerialNumber: serials[0], secret: base32Secret() },
        {
          tokenSerialNumber: serials[1],
          secret: base32Secret(),
          algorithm: 'TOTP',
          digits: 8,
          period: 30,
        },
        { tokenSerialNumber: serials[2], secret: base32Secret().toLowerCase() },
      ],
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 3, tokenSerialNumbers: serials })
    expect(storedSerials(t)).toEqual(expect.arrayContaining(serials))
    // An imported token is Unassigned and Disabled: assigning shows it still Disabled.
    const userId = await t.createUser()
    const assigned = await assign(t, userId, { tokenSerialNumber: '42' })
    expect(assigned.json().tokenStatus).toBe('Disabled')
  })

  it('answers 409 listing every duplicate and imports nothing', async () => {
    const t = shared()
    const [a, b, c] = [nextSerial(), nextSerial(), nextSerial()]
    await importTokens(t, [a, b])
    const before = storedSerials(t)
    const response = await t.call('POST', '/v1/sidTokens/import', importBody([a, c, b]))
    expect(response.statusCode).toBe(409)
    expect(response.json().code).toBe('409 CONFLICT')
    const { description } = response.json() as { description: string }
    expect(description).toContain(a)
    expect(description).toContain(b)
    expect(description).not.toContain(c)
    expect(storedSerials(t)).toEqual(before)
    expect(storedSerials(t)).not.toContain(c)
  })

  it('dryRun=true answers what would be imported and stores nothing', async () => {
    const t = shared()
    const serials = [nextSerial(), nextSerial()]
    const before = storedSerials(t)
    const response = await t.call('POST', '/v1/sidTokens/import?dryRun=true', importBody(serials))
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 0, wouldImport: 2 })
    expect(storedSerials(t)).toEqual(before)
    // A dry run still reports duplicates.
    await importTokens(t, [serials[0] as string])
    const dup = await t.call('POST', '/v1/sidTokens/import?dryRun=true', importBody(serials))
    expect(dup.statusCode).toBe(409)
  })

  it('dryRun=false imports', async () => {
    const t = shared()
    const serial = nextSerial()
    const response = await t.call('POST', '/v1/sidTokens/import?dryRun=false', importBody([serial]))
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 1, tokenSerialNumbers: [serial] })
  })

  it.each([
    ['characters outside base32', '0189018901890189018901890189018901'],
    ['too few bytes (8)', 'GEZDGNBVGY3TQ==='],
  ])('answers 400 for a secret with %s, and imports nothing', async (_label, secret) => {
    const t = shared()
    const good = nextSerial()
    const bad = nextSerial()
    const before = storedSerials(t)
    const response = await t.call('POST', '/v1/sidTokens/import', {
      tokens: [
        { tokenSerialNumber: good, secret: base32Secret() },
        { tokenSerialNumber: bad, secret },
      ],
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'tokens[1].secret must be base32 holding 10–64 bytes.',
    })
    expect(storedSerials(t)).toEqual(before)
  })

  it.each([
    ['no tokens', { tokens: [] }],
    ['a serial of 37 characters', importBody(['1'.repeat(37)])],
    ['the same serial twice', importBody(['777', '777'])],
    [
      'an unknown algorithm',
      { tokens: [{ tokenSerialNumber: '1', secret: base32Secret(), algorithm: 'HOTP' }] },
    ],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const response = await t.call('POST', '/v1/sidTokens/import', body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 403 Not authorized to perform the request. to a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const serial = nextSerial()
    const before = storedSerials(t)
    const response = await t.call(
      'POST',
      '/v1/sidTokens/import',
      importBody([serial]),
      t.company.helpDesk,
    )
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect(storedSerials(t)).toEqual(before)
  })
})

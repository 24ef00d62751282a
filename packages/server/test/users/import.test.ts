import type { ApiKeyFile, Store } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import {
  ADMIN,
  buildTestApp,
  manualClock,
  setRateLimit,
  signJwt,
  storeWith,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

/**
 * [ext] `POST /v1/users/import` (admin-api.md §9): CSV (RFC 4180, header row) or NDJSON, up to
 * 100,000 rows, all or nothing in one transaction, every bad row reported with its line.
 */
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 7)
const HEADER = 'emailAddress,firstName,lastName,userStatus,smsNumber,voiceNumber'

const upload = async (
  t: TestApp,
  payload: string | Buffer,
  options: { type?: string; query?: string; key?: ApiKeyFile } = {},
) =>
  t.app.inject({
    method: 'POST',
    url: `${ADMIN}/v1/users/import${options.query ?? ''}`,
    headers: {
      authorization: `Bearer ${await signJwt(options.key ?? t.company.superAdmin, {}, {}, t.runtime.clock.now())}`,
      'content-type': options.type ?? 'text/csv',
    },
    payload,
  })

const lookup = (t: TestApp, email: string) => t.call('POST', '/v1/users/lookup', { email })

const countMatching = async (t: TestApp, emailLike: string): Promise<number> => {
  const response = await t.call('POST', '/v2/users/search', { emailLike, pageSize: 1 })
  expect(response.statusCode).toBe(200)
  return response.json().totalElements
}

describe('POST /v1/users/import', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('imports a CSV file (RFC 4180: quotes, escaped quotes, commas, CRLF, BOM)', async () => {
    const t = shared()
    const csv = [
      `\uFEFF${HEADER}`,
      'ann.csv@example.com,Ann,"Lee, Jr.",Enabled,+15550100,',
      'bob.csv@example.com,"Robert ""Bob""",Smith,Disabled,,+15550111',
      'cid.csv@example.com,,,,,',
      '',
    ].join('\r\n')
    const response = await upload(t, csv)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 3 })
    expect((await lookup(t, 'ann.csv@example.com')).json()).toMatchObject({
      firstName: 'Ann',
      lastName: 'Lee, Jr.',
      userStatus: 'Enabled',
      smsNumber: '+15550100',
      voiceNumber: null,
      creationDate: '2026-11-23T10:00:00.007Z',
    })
    expect((await lookup(t, 'bob.csv@example.com')).json()).toMatchObject({
      firstName: 'Robert "Bob"',
      userStatus: 'Disabled',
      smsNumber: null,
      voiceNumber: '+15550111',
    })
    expect((await lookup(t, 'cid.csv@example.com')).json()).toMatchObject({
      firstName: null,
      lastName: null,
      userStatus: 'Enabled',
    })
    const events = await t.runtime.store.read.audit.list(t.company.id)
    expect(events.at(-1)).toMatchObject({ action: 'user.imported', details: { count: 3 } })
  })

  it('takes the columns in any order, with only emailAddress required', async () => {
    const t = shared()
    const response = await upload(t, 'lastName,emailAddress\nOrder,order.csv@example.com\n')
    expect(response.json()).toEqual({ imported: 1 })
    expect((await lookup(t, 'order.csv@example.com')).json().lastName).toBe('Order')
  })

  it('imports NDJSON', async () => {
    const t = shared()
    const ndjson = [
      JSON.stringify({ emailAddress: 'ann.nd@example.com', firstName: 'Ann' }),
      '',
      JSON.stringify({
        emailAddress: 'bob.nd@example.com',
        userStatus: 'Disabled',
        smsNumber: null,
      }),
    ].join('\n')
    const response = await upload(t, ndjson, { type: 'application/x-ndjson' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 2 })
    expect((await lookup(t, 'bob.nd@example.com')).json().userStatus).toBe('Disabled')
  })

  it('with dryRun=true checks everything and imports nothing', async () => {
    const t = shared()
    const csv = `${HEADER}\ndry1@example.com,,,,,\ndry2@example.com,,,,,\n`
    const response = await upload(t, csv, { query: '?dryRun=true' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 0, wouldImport: 2 })
    expect((await lookup(t, 'dry1@example.com')).statusCode).toBe(404)
    const bad = await upload(t, `${HEADER}\nnot-an-email,,,,,\n`, { query: '?dryRun=true' })
    expect(bad.statusCode).toBe(400)
  })

  it('imports nothing from a file with 3 bad rows and reports exactly those 3 lines', async () => {
    const t = shared()
    await t.createUser('already.here@example.com')
    const rows = Array.from({ length: 50 }, (_, i) => `bad3.${i}@example.com,,,,,`)
    rows[9] = 'not-an-email,,,,,' // line 11
    rows[19] = 'Already.Here@example.com,,,,,' // line 21: an existing user
    rows[29] = 'bad3.5@EXAMPLE.com,,,,,' // line 31: repeats line 7
    const response = await upload(t, `${HEADER}\n${rows.join('\n')}\n`)
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(Object.keys(body)).toEqual(['code', 'description', 'errors'])
    expect(body.code).toBe('400 BAD_REQUEST')
    expect(body.errors).toEqual([
      { line: 11, description: "invalid email address 'not-an-email'" },
      { line: 21, description: 'User Already.Here@example.com already exists' },
      { line: 31, description: 'emailAddress bad3.5@EXAMPLE.com already appears on line 7' },
    ])
    expect(body.description).toBe(
      "Nothing was imported: 3 invalid rows. Line 11: invalid email address 'not-an-email'. " +
        'Line 21: User Already.Here@example.com already exists. ' +
        'Line 31: emailAddress bad3.5@EXAMPLE.com already appears on line 7.',
    )
    expect(await countMatching(t, 'bad3.')).toBe(0)
  })

  it('lists every bad row in errors, and names the first 100 in the description', async () => {
    const t = shared()
    const rows = Array.from({ length: 250 }, (_, i) => `bad-${i},,,,,`)
    const response = await upload(t, `${HEADER}\n${rows.join('\n')}\n`)
    expect(response.statusCode).toBe(400)
    const body = response.json()
    expect(body.errors).toHaveLength(250)
    expect(body.errors.at(-1)).toEqual({
      line: 251,
      description: "invalid email address 'bad-249'",
    })
    expect(body.description).toMatch(/^Nothing was imported: 250 invalid rows\. Line 2: /)
    expect(body.description).toContain("Line 101: invalid email address 'bad-99'.")
    expect(body.description).not.toContain('Line 102:')
    expect(body.description).toMatch(/… and 150 more \(see errors\)\.$/)
  })

  it('reports rows by the line they start on, across quoted line breaks', async () => {
    const t = shared()
    const csv = [
      'emailAddress,firstName',
      'ok.ml@example.com,"two',
      'lines"',
      'x.ml@example.com,a,b',
      'y.ml@example.com,"oops"x',
      'z.ml@example.com,Zed,',
    ].join('\n')
    const response = await upload(t, csv)
    expect(response.statusCode).toBe(400)
    expect(response.json().errors).toEqual([
      { line: 4, description: '3 fields where the header has 2' },
      { line: 5, description: 'malformed CSV: text after a closing quote' },
      { line: 6, description: '3 fields where the header has 2' },
    ])
  })

  it('reports NDJSON rows that are not objects, unknown keys and wrong types', async () => {
    const t = shared()
    const ndjson = [
      '{"emailAddress":"fine.nd@example.com"}',
      '{"emailAddress":',
      '[1,2]',
      '{"emailAddress":"x.nd@example.com","role":"admin"}',
      '{"emailAddress":"y.nd@example.com","firstName":7}',
      '{"emailAddress":"z.nd@example.com","userStatus":"Locked"}',
    ].join('\n')
    const response = await upload(t, ndjson, { type: 'application/x-ndjson; charset=utf-8' })
    expect(response.statusCode).toBe(400)
    expect(response.json().errors).toEqual([
      { line: 2, description: 'not valid JSON' },
      { line: 3, description: 'not a JSON object' },
      { line: 4, description: "unknown property 'role'" },
      { line: 5, description: 'firstName must be a string or null' },
      { line: 6, description: "userStatus must be Enabled or Disabled, not 'Locked'" },
    ])
    expect((await lookup(t, 'fine.nd@example.com')).statusCode).toBe(404)
  })

  it.each([
    ['an unknown column', 'emailAddress,role\na@example.com,x\n', /unknown column 'role'/],
    ['no emailAddress column', 'firstName\nAnn\n', /emailAddress column is missing/],
    ['a column twice', 'emailAddress,emailAddress\na@x.com,b@x.com\n', /appears twice/],
    ['an empty file', '', /no header row/],
    ['a header only', `${HEADER}\n`, /no users/],
  ])('answers 400 for %s', async (_label, csv, description) => {
    const t = shared()
    const response = await upload(t, csv)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect(response.json().description).toMatch(description)
  })

  it('answers 400 for bytes that are not UTF-8', async () => {
    const t = shared()
    const response = await upload(t, Buffer.from([0x65, 0x6d, 0x61, 0xff, 0xfe, 0x0a]))
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'The file is not UTF-8 text.',
    })
  })

  it('answers 403 to a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await upload(t, `${HEADER}\nhd.import@example.com,,,,,\n`, {
      key: t.company.helpDesk,
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect((await lookup(t, 'hd.import@example.com')).statusCode).toBe(404)
  })

  it.each([
    [
      'application/json',
      JSON.stringify({ format: 'csv', text: `${HEADER}\nj@example.com,,,,,\n` }),
    ],
    ['text/plain', `${HEADER}\nj@example.com,,,,,\n`],
  ])('answers 415 for %s', async (type, payload) => {
    const t = shared()
    const response = await upload(t, payload, { type })
    expect(response.statusCode).toBe(415)
    expect(response.json().code).toBe('415 UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 413 over 16 MiB, and takes other content types as JSON elsewhere only', async () => {
    const t = shared()
    const big = `${HEADER}\n${'x'.repeat(16 * 1024 * 1024)}\n`
    const response = await upload(t, big)
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('413 PAYLOAD_TOO_LARGE')
    // The CSV parser belongs to the import route only.
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: `${ADMIN}/v1/users`,
      headers: {
        authorization: `Bearer ${await signJwt(t.company.superAdmin, {}, {}, t.runtime.clock.now())}`,
        'content-type': 'text/csv',
      },
      payload: `${HEADER}\n`,
    })
    expect(elsewhere.statusCode).toBe(415)
  })

  it('imports 100,000 rows in one transaction', async () => {
    const t = shared()
    const lines = [HEADER]
    for (let i = 0; i < 100_000; i += 1) {
      lines.push(
        `bulk${String(i).padStart(6, '0')}@bulk.example.com,First${i},Last${i},Enabled,+1555${i},`,
      )
    }
    const csv = `${lines.join('\n')}\n`
    const started = performance.now()
    const response = await upload(t, csv)
    const elapsed = performance.now() - started
    console.log(
      `users import: 100,000 rows (${(csv.length / 1024 / 1024).toFixed(1)} MiB) in ${elapsed.toFixed(0)} ms`,
    )
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 100_000 })
    expect(await countMatching(t, '@bulk.example.com')).toBe(100_000)
    expect((await lookup(t, 'bulk099999@bulk.example.com')).json()).toMatchObject({
      firstName: 'First99999',
    })
    // One transaction, one audit event.
    const events = (await t.runtime.store.read.audit.list(t.company.id)).filter(
      (event) => event.action === 'user.imported',
    )
    expect(events.at(-1)?.details).toEqual({ count: 100_000 })
  }, 60_000)
})

describe('POST /v1/users/import when things go wrong', () => {
  it('answers 429 over the rate limit', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await setRateLimit(t, 1, 1)
    expect((await upload(t, `${HEADER}\nrl1@example.com,,,,,\n`)).statusCode).toBe(200)
    const limited = await upload(t, `${HEADER}\nrl2@example.com,,,,,\n`)
    expect(limited.statusCode).toBe(429)
  })

  it('answers 500 and imports nothing when storage fails half-way', async () => {
    let inserts = 0
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        inTransaction: (tx) => ({
          ...tx,
          users: {
            ...tx.users,
            insertMany: async (users) => {
              inserts += 1
              if (inserts === 2) throw new Error('SQLITE_IOERR: disk I/O error')
              return tx.users.insertMany(users)
            },
          },
        }),
      })
    const t = await buildTestApp({ wrapStore, clock: manualClock(NOW) })
    const rows = Array.from({ length: 5_000 }, (_, i) => `half${i}@half.example.com,,,,,`)
    const response = await upload(t, `${HEADER}\n${rows.join('\n')}\n`)
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
    expect(inserts).toBe(2)
    expect(await countMatching(t, '@half.example.com')).toBe(0)
  })
})

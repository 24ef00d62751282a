import type { Store } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { UserDetailsResponse } from '../../src/schemas.js'
import {
  ADMIN,
  base32Secret,
  buildTestApp,
  manualClock,
  setRateLimit,
  storeWith,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

/**
 * User Search (admin-api.md §9; rsa-cas-api.md §6.1): a plain, case-insensitive substring of
 * the email, sorted by email, pageSize 1–25; v2 pages by zero-based pageNumber and [ext] by
 * keyset (`nextPageToken`), which stays exact while users are inserted between fetches.
 */
const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 7)
const USER_DETAILS_KEYS = Object.keys(UserDetailsResponse.properties).sort()

const searchV1 = (t: TestApp, body: unknown, query = '', key = t.company.helpDesk) =>
  t.call('POST', `/v1/users/search${query}`, body, key)
const searchV2 = (t: TestApp, body: unknown, query = '', key = t.company.helpDesk) =>
  t.call('POST', `/v2/users/search${query}`, body, key)

const emailsOf = (users: { emailAddress: string }[]) => users.map((user) => user.emailAddress)

/** Creates users with these addresses (in this order) through the API. */
const createAll = async (t: TestApp, emails: readonly string[]) => {
  for (const email of emails) await t.createUser(email)
}

/** Every page of a v2 search by pageNumber, until the reported last page. */
const allPagesByNumber = async (t: TestApp, emailLike: string, pageSize: number) => {
  const pages: { emailAddress: string }[][] = []
  let totalPages = 1
  for (let pageNumber = 0; pageNumber < totalPages; pageNumber += 1) {
    const response = await searchV2(
      t,
      { emailLike },
      `?pageSize=${pageSize}&pageNumber=${pageNumber}`,
    )
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body.currentPage).toBe(pageNumber)
    totalPages = body.totalPages
    pages.push(body.elements)
  }
  return pages
}

describe('POST /v1/users/search', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('answers User Details of every user whose email contains emailLike, sorted by email', async () => {
    const t = shared()
    await createAll(t, [
      'zoe.v1s@example.com',
      'Adam.V1S@Example.com',
      'mia.v1s@example.org',
      'other@example.com',
      'bob.v1s@example.com',
    ])
    const response = await searchV1(t, { emailLike: '.V1S@' })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(emailsOf(body)).toEqual([
      'Adam.V1S@Example.com',
      'bob.v1s@example.com',
      'mia.v1s@example.org',
      'zoe.v1s@example.com',
    ])
    for (const user of body) expect(Object.keys(user).sort()).toEqual(USER_DETAILS_KEYS)
    expect(body[0]).toMatchObject({ userStatus: 'Enabled', emergencyAccessStatus: 'Disabled' })
  })

  it('answers at most pageSize users (default 25)', async () => {
    const t = shared()
    await createAll(
      t,
      Array.from({ length: 30 }, (_, i) => `many${String(i).padStart(2, '0')}.size@example.com`),
    )
    const three = await searchV1(t, { emailLike: '.size@' }, '?pageSize=3')
    expect(emailsOf(three.json())).toEqual([
      'many00.size@example.com',
      'many01.size@example.com',
      'many02.size@example.com',
    ])
    const all = await searchV1(t, { emailLike: '.size@' })
    expect(all.json()).toHaveLength(25)
    expect((await searchV1(t, { emailLike: '.size@' }, '?pageSize=25')).json()).toHaveLength(25)
  })

  it('treats % and _ as plain characters and answers [] when nothing matches', async () => {
    const t = shared()
    await createAll(t, ['under_score@pct.example.com', 'underxscore@pct.example.com'])
    expect(emailsOf((await searchV1(t, { emailLike: 'under_' })).json())).toEqual([
      'under_score@pct.example.com',
    ])
    expect((await searchV1(t, { emailLike: '%' })).json()).toEqual([])
    expect((await searchV1(t, { emailLike: 'no-such-user-anywhere' })).json()).toEqual([])
  })

  it('never answers users of another company', async () => {
    const t = shared()
    const other = await t.addCompany('Search Other Co')
    await createAll(t, ['mine.iso@example.com'])
    const theirs = await t.call(
      'POST',
      '/v1/users',
      { emailAddress: 'theirs.iso@example.com' },
      other.superAdmin,
    )
    expect(theirs.statusCode).toBe(201)
    expect(emailsOf((await searchV1(t, { emailLike: '.iso@' })).json())).toEqual([
      'mine.iso@example.com',
    ])
  })

  it.each([
    ['pageSize=0', '?pageSize=0', { emailLike: 'a' }],
    ['pageSize=26', '?pageSize=26', { emailLike: 'a' }],
    ['pageSize=abc', '?pageSize=abc', { emailLike: 'a' }],
    ['pageSize=-1', '?pageSize=-1', { emailLike: 'a' }],
    ['a missing emailLike', '', {}],
    ['a number as emailLike', '', { emailLike: 5 }],
    ['an unknown property', '', { emailLike: 'a', pageNumber: 1 }],
    ['an unknown query parameter', '?pageNumber=1', { emailLike: 'a' }],
  ])('answers 400 for %s', async (_label, query, body) => {
    const t = shared()
    const response = await searchV1(t, body, query)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('names an unknown query parameter as such; an unknown body property keeps its message', async () => {
    const t = shared()
    const query = await searchV1(t, { emailLike: 'a' }, '?pageNumber=1')
    expect(query.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Unknown query parameter: pageNumber.',
    })
    const body = await searchV1(t, { emailLike: 'a', pageNumber: 1 })
    expect(body.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
    // Every strict query schema alike: the v2 search and the imports' dryRun.
    const v2 = await searchV2(t, { emailLike: 'a' }, '?pageNumbre=1')
    expect(v2.json().description).toBe('Unknown query parameter: pageNumbre.')
    const dry = await t.call('POST', '/v1/sidTokens/import?dry=true', {
      tokens: [{ tokenSerialNumber: 'QUERY-1', secret: base32Secret() }],
    })
    expect(dry.statusCode).toBe(400)
    expect(dry.json().description).toBe('Unknown query parameter: dry.')
  })

  it('answers 403 with the Spring body without credentials', async () => {
    const t = shared()
    const url = `${ADMIN}/v1/users/search`
    const response = await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ emailLike: 'a' }),
    })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ status: 403, error: 'Forbidden', path: url })
  })
})

describe('POST /v2/users/search', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('pages by zero-based pageNumber: every matching user exactly once, in order', async () => {
    const t = shared()
    const emails = Array.from(
      { length: 23 },
      (_, i) => `p${String((i * 7) % 23).padStart(2, '0')}.paged@example.com`,
    )
    await createAll(t, emails)
    await createAll(t, ['p99.paged@elsewhere.example.org'])
    const pages = await allPagesByNumber(t, '.paged@example.com', 5)
    expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3])
    expect(pages.flat().map((user) => user.emailAddress)).toEqual([...emails].sort())

    const first = (await searchV2(t, { emailLike: '.paged@example.com' }, '?pageSize=5')).json()
    expect(Object.keys(first)).toEqual([
      'totalPages',
      'totalElements',
      'pageSize',
      'currentPage',
      'nextPageToken',
      'elements',
    ])
    expect(first).toMatchObject({ totalPages: 5, totalElements: 23, pageSize: 5, currentPage: 0 })
    for (const user of first.elements) expect(Object.keys(user).sort()).toEqual(USER_DETAILS_KEYS)
  })

  it('answers 200 with no elements past the last page', async () => {
    const t = shared()
    await createAll(t, ['only.past@example.com'])
    const response = await searchV2(t, { emailLike: '.past@' }, '?pageSize=10&pageNumber=1')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      totalPages: 1,
      totalElements: 1,
      pageSize: 10,
      currentPage: 1,
      nextPageToken: null,
      elements: [],
    })
  })

  it('takes pageSize and pageNumber in the body too, and refuses a disagreement', async () => {
    const t = shared()
    await createAll(t, ['a.body@example.com', 'b.body@example.com', 'c.body@example.com'])
    const viaBody = await searchV2(t, { emailLike: '.body@', pageSize: 2, pageNumber: 1 })
    expect(emailsOf(viaBody.json().elements)).toEqual(['c.body@example.com'])
    const both = await searchV2(t, { emailLike: '.body@', pageSize: 2 }, '?pageSize=2&pageNumber=1')
    expect(emailsOf(both.json().elements)).toEqual(['c.body@example.com'])
    const conflict = await searchV2(t, { emailLike: '.body@', pageSize: 2 }, '?pageSize=3')
    expect(conflict.statusCode).toBe(400)
    expect(conflict.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'pageSize differs between the query (3) and the body (2).',
    })
  })

  it('[ext] pages by nextPageToken exactly once, in order, while users are inserted between fetches', async () => {
    const t = shared()
    const original = Array.from(
      { length: 20 },
      (_, i) => `k${String(i * 3).padStart(2, '0')}.keyset@example.com`,
    )
    await createAll(t, original)
    const seen: string[] = []
    let token: string | null = null
    let round = 0
    do {
      const body: Record<string, unknown> = { emailLike: '.keyset@', pageSize: 4 }
      if (token !== null) body.pageToken = token
      const response = await searchV2(t, body)
      expect(response.statusCode).toBe(200)
      const page = response.json()
      seen.push(...emailsOf(page.elements))
      token = page.nextPageToken
      // Between fetches: one user that sorts before everything seen, one among what is left.
      round += 1
      await createAll(t, [
        `a${round}.keyset@example.com`,
        `k${String(round * 3 + 9).padStart(2, '0')}x.keyset@example.com`,
      ])
    } while (token !== null)

    // Every original user exactly once, and the whole answer in order, without duplicates.
    expect(new Set(seen).size).toBe(seen.length)
    for (const email of original) expect(seen.filter((e) => e === email)).toHaveLength(1)
    expect(seen).toEqual([...seen].sort())
    expect(seen.some((email) => email.startsWith('a'))).toBe(false)
  })

  it('[ext] reports the page a token stands for, and the last page has no token', async () => {
    const t = shared()
    await createAll(t, ['t1.cur@example.com', 't2.cur@example.com', 't3.cur@example.com'])
    const first = (await searchV2(t, { emailLike: '.cur@', pageSize: 2 })).json()
    expect(first.nextPageToken).toEqual(expect.any(String))
    const second = (
      await searchV2(t, { emailLike: '.cur@', pageSize: 2, pageToken: first.nextPageToken })
    ).json()
    expect(second).toMatchObject({ currentPage: 1, totalPages: 2, nextPageToken: null })
    expect(emailsOf(second.elements)).toEqual(['t3.cur@example.com'])
  })

  it('pages by pageNumber stay in one total order while users are inserted concurrently', async () => {
    const t = shared()
    const original = Array.from(
      { length: 15 },
      (_, i) => `c${String(i).padStart(2, '0')}.conc@example.com`,
    )
    await createAll(t, original)
    // Inserts after every original user (by email): offset pages of the originals do not move.
    const inserting = createAll(
      t,
      Array.from({ length: 10 }, (_, i) => `d${String(i).padStart(2, '0')}.conc@example.com`),
    )
    const pages: string[] = []
    for (let pageNumber = 0; pageNumber < 3; pageNumber += 1) {
      const response = await searchV2(t, { emailLike: '.conc@', pageSize: 5, pageNumber })
      pages.push(...emailsOf(response.json().elements))
    }
    await inserting
    expect(pages).toEqual(original)
  })

  it.each([
    ['pageNumber=-1', '?pageNumber=-1', { emailLike: 'a' }],
    ['pageNumber=x', '?pageNumber=x', { emailLike: 'a' }],
    ['a negative pageNumber in the body', '', { emailLike: 'a', pageNumber: -1 }],
    ['pageSize 26 in the body', '', { emailLike: 'a', pageSize: 26 }],
    ['pageNumber with pageToken', '', { emailLike: 'a', pageNumber: 0, pageToken: 'ZTph' }],
    ['a malformed pageToken', '', { emailLike: 'a', pageToken: 'not a token!' }],
    ['a pageToken that is not ours', '', { emailLike: 'a', pageToken: 'aGVsbG8' }],
    ['an unknown property', '', { emailLike: 'a', sort: 'email' }],
  ])('answers 400 for %s', async (_label, query, body) => {
    const t = shared()
    const response = await searchV2(t, body, query)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })
})

describe('user search when things go wrong', () => {
  it.each([
    ['v1', '/v1/users/search'],
    ['v2', '/v2/users/search'],
  ])('%s answers 429 over the rate limit', async (_label, path) => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await setRateLimit(t, 1, 1)
    expect((await t.call('POST', path, { emailLike: 'a' })).statusCode).toBe(200)
    const limited = await t.call('POST', path, { emailLike: 'a' })
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
  })

  it.each([
    ['v1', '/v1/users/search'],
    ['v2', '/v2/users/search'],
  ])('%s answers 500 An internal error occurred. when storage fails', async (_label, path) => {
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        read: () => ({
          ...store.read,
          users: {
            ...store.read.users,
            searchByEmail: async () => {
              throw new Error('SQLITE_CORRUPT: database disk image is malformed')
            },
          },
        }),
      })
    const t = await buildTestApp({ wrapStore, clock: manualClock(NOW) })
    const response = await t.call('POST', path, { emailLike: 'a' })
    expect(response.statusCode).toBe(500)
    expect(response.json()).toEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
  })
})

import type { TSchema } from '@sinclair/typebox'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REASON } from '../../src/http/error-status.js'
import {
  EacDeleteResponse,
  EacV1Response,
  EacV2Response,
  SettingsResponse,
  TokenAssignResponse,
  TokenStatusResponse,
  UnlockResponse,
  UserDetailsResponse,
} from '../../src/schemas.js'
import { ADMIN, importTokens, signJwt, useSharedTestApp } from '../helpers.js'

/**
 * admin-api.md §1 and §4, docs/api.md "Bodies": hostile input through the real app is never a
 * 5xx, never a stack trace, and always the documented body shape.
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

const ERROR_KEYS = ['code', 'description']
const keysOf = (schema: TSchema): string[] =>
  Object.keys((schema as unknown as { properties: Record<string, unknown> }).properties).sort()

/** A business error body: exactly `code` + `description`, `code` matching the status. */
const expectBusinessError = (
  response: LightMyRequestResponse,
  status: number,
  description?: string,
) => {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(ERROR_KEYS)
  expect(body.code).toBe(`${status} ${REASON[status]}`)
  expect(typeof body.description).toBe('string')
  if (description !== undefined) expect(body.description).toBe(description)
  expectNoLeak(response)
}

const expectNoLeak = (response: LightMyRequestResponse) => {
  expect(response.statusCode, response.body).toBeLessThan(500)
  expect(response.body).not.toMatch(/\n\s+at |node_modules|\/work\/|\.ts:\d+|SQLITE|Kysely/)
  expect(response.headers['x-request-id']).toBeTruthy()
}

const UNKNOWN_PROPERTY = 'Wrong number of properties in the request body.'
const MALFORMED = 'Malformed JSON request body.'
const INVALID_EXPIRATION = 'Invalid expiration date.'

describe('hostile input (admin-api.md §1, §4)', () => {
  const shared = useSharedTestApp({ env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '100000' } })
  let token = ''
  let userId = ''

  beforeAll(async () => {
    const t = shared()
    await t.runtime.services.companies.updateSettings(t.cliContext(), {
      rateLimit: { requestsPerSecond: 100_000, burst: 200_000 },
    })
    token = await signJwt(t.company.superAdmin, { exp: Math.floor(Date.now() / 1000) + 3000 })
    userId = await t.createUser('target@example.com')
    await importTokens(t, ['BAD-0001'])
  })

  afterAll(() => {
    // Nothing sent above may have reached Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  const raw = (
    method: Method,
    path: string,
    payload?: string | Buffer,
    contentType: string | null = 'application/json',
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> =>
    shared().app.inject({
      method,
      url: path.startsWith('/AdminInterface') || !path.startsWith('/v') ? path : `${ADMIN}${path}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(contentType !== null && { 'content-type': contentType }),
        ...headers,
      },
      ...(payload !== undefined && { payload }),
    })

  /** Every route that takes a body, with a valid body and its documented success. */
  const bodyRoutes = (): Array<{
    name: string
    method: Method
    path: string
    valid: unknown
    /** The description of a 400 for an invalid body, when the route documents one. */
    invalid?: string
    /** Statuses a random body may get (besides 400), and the keys of the success body. */
    outcomes: Record<number, string[] | null>
  }> => [
    {
      name: 'enable EAC v1',
      method: 'PUT',
      path: `/v1/users/${userId}/emergencyTokencode`,
      valid: { expirationDays: '2' },
      invalid: INVALID_EXPIRATION,
      outcomes: { 200: keysOf(EacV1Response) },
    },
    {
      name: 'enable EAC v2',
      method: 'PUT',
      path: `/v2/users/${userId}/emergencyTokencode`,
      valid: { oneTimeUse: true },
      invalid: INVALID_EXPIRATION,
      outcomes: { 200: keysOf(EacV2Response) },
    },
    {
      name: 'unlock methods',
      method: 'PATCH',
      path: `/v1/users/${userId}/methods`,
      valid: { unlockMethods: ['TOKEN'] },
      outcomes: { 200: keysOf(UnlockResponse) },
    },
    {
      name: 'enable token',
      method: 'PATCH',
      path: `/v1/users/${userId}/sidTokens/enable`,
      valid: { tokenSerialNumber: 'NOPE-1' },
      outcomes: { 200: keysOf(TokenStatusResponse), 404: null, 409: null },
    },
    {
      name: 'assign token',
      method: 'PATCH',
      path: `/v1/users/${userId}/sidTokens/assign`,
      valid: { tokenSerialNumber: 'NOPE-2' },
      outcomes: { 200: keysOf(TokenAssignResponse), 404: null, 409: null },
    },
    {
      name: 'import tokens',
      method: 'POST',
      path: '/v1/sidTokens/import?dryRun=true',
      valid: { tokens: [{ tokenSerialNumber: 'X1', secret: 'JBSWY3DPEHPK3PXP' }] },
      outcomes: { 200: ['imported', 'wouldImport'], 409: null },
    },
    {
      name: 'user lookup',
      method: 'POST',
      path: '/v1/users/lookup',
      valid: { email: 'target@example.com' },
      outcomes: { 200: keysOf(UserDetailsResponse), 404: null },
    },
    {
      name: 'user status',
      method: 'PUT',
      path: `/v1/users/${userId}/userStatus`,
      valid: { userStatus: 'Enabled' },
      outcomes: { 200: keysOf(UserDetailsResponse) },
    },
    {
      name: 'create user',
      method: 'POST',
      path: '/v1/users',
      valid: { emailAddress: 'created@example.com' },
      outcomes: { 201: keysOf(UserDetailsResponse), 409: null },
    },
    {
      name: 'company settings',
      method: 'PUT',
      path: '/v1/company/settings',
      valid: { lockout: { maxFailedAttempts: 3 } },
      outcomes: { 200: keysOf(SettingsResponse) },
    },
    {
      name: 'create API key',
      method: 'POST',
      path: '/v1/apikeys',
      // No valid body here: creating keys is slow and limited; the 400s are what matter.
      valid: undefined,
      outcomes: { 409: null },
    },
  ]

  describe('bodies', () => {
    it('malformed JSON → 400 "Malformed JSON request body." on every body route', async () => {
      for (const route of bodyRoutes()) {
        for (const payload of [
          '{"a":',
          '{',
          '{a:1}',
          "{'a':1}",
          '{"a":1,}',
          'nul',
          '[1,2',
          '\u0000',
        ]) {
          expectBusinessError(await raw(route.method, route.path, payload), 400, MALFORMED)
        }
      }
    })

    it('text/plain and form bodies → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      for (const route of bodyRoutes()) {
        for (const [contentType, payload] of [
          ['text/plain', '{"unlockMethods":["TOKEN"]}'],
          ['application/x-www-form-urlencoded', 'unlockMethods=TOKEN'],
          ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
          ['application/xml', '<a/>'],
          ['application/json-patch+json', '[]'],
        ]) {
          const response = await raw(route.method, route.path, payload, contentType)
          expectBusinessError(response, 415)
          expect(response.json().code).toBe('415 UNSUPPORTED_MEDIA_TYPE')
        }
      }
    })

    it('application/json with a charset parameter is accepted', async () => {
      const response = await raw(
        'POST',
        '/v1/users/lookup',
        '{"email":"target@example.com"}',
        'application/json; charset=utf-8',
      )
      expect(response.statusCode, response.body).toBe(200)
    })

    it('a body over 64 KiB → 413 (import: 16 MiB)', async () => {
      const big = JSON.stringify({ email: 'x'.repeat(70 * 1024) })
      for (const route of bodyRoutes().filter((r) => r.name !== 'import tokens')) {
        expectBusinessError(await raw(route.method, route.path, big), 413)
      }
      // The import route takes more than 64 KiB (and then judges the content).
      const tokens = Array.from({ length: 2000 }, (_, i) => ({
        tokenSerialNumber: `BIG-${i}`,
        secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      }))
      const importBody = JSON.stringify({ tokens })
      expect(importBody.length).toBeGreaterThan(64 * 1024)
      const imported = await raw('POST', '/v1/sidTokens/import?dryRun=true', importBody)
      expect(imported.statusCode, imported.body).toBe(200)
      expect(imported.json()).toStrictEqual({ imported: 0, wouldImport: 2000 })
    })

    it('10,000 levels of nesting → 4xx, and the server still answers', async () => {
      const payloads = [
        '['.repeat(10_000),
        `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
        `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
        `{"unlockMethods":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        `{"lockout":${'{"lockout":'.repeat(5_000)}1${'}'.repeat(5_000)}}`,
      ]
      for (const route of bodyRoutes()) {
        for (const payload of payloads) {
          const response = await raw(route.method, route.path, payload)
          expectNoLeak(response)
          expect(response.statusCode).toBe(400)
        }
      }
      const live = await shared().app.inject({ method: 'GET', url: '/health/live' })
      expect(live.statusCode).toBe(200)
      expect(live.json()).toStrictEqual({ status: 'ok' })
    })

    it('null, [], "str", 42, true as the body → 400 on every body route', async () => {
      for (const route of bodyRoutes()) {
        for (const payload of ['null', '[]', '"str"', '42', 'true', '[{}]']) {
          const response = await raw(route.method, route.path, payload)
          expectBusinessError(response, 400, route.invalid)
        }
      }
    })

    it('an empty body is absent: PUT …/emergencyTokencode uses the defaults, the others are 400', async () => {
      for (const route of bodyRoutes()) {
        for (const [payload, contentType] of [
          ['', 'application/json'],
          ['  \n', 'application/json'],
          [undefined, null],
        ] as const) {
          const response = await raw(route.method, route.path, payload, contentType)
          if (route.path.endsWith('/emergencyTokencode')) {
            expect(response.statusCode, response.body).toBe(200)
          } else {
            expectBusinessError(response, 400)
          }
        }
      }
    })

    it('wrong types → 400, no coercion', async () => {
      const cases: Array<[Method, string, unknown, string?]> = [
        ['PATCH', `/v1/users/${userId}/methods`, { unlockMethods: 'TOKEN' }],
        ['PATCH', `/v1/users/${userId}/methods`, { unlockMethods: [1] }],
        ['PATCH', `/v1/users/${userId}/methods`, { unlockMethods: ['token'] }],
        ['PATCH', `/v1/users/${userId}/methods`, { unlockMethods: ['TOKEN', 'TOKEN'] }],
        ['PATCH', `/v1/users/${userId}/methods`, { unlockMethods: [] }],
        ['PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: 123 }],
        ['PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: 'x'.repeat(37) }],
        ['PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: ['BAD-0001'] }],
        ['POST', '/v1/users/lookup', { email: 1 }],
        ['POST', '/v1/users/lookup', { email: null }],
        ['POST', '/v1/users/lookup', { email: 'target@example.com', searchUnsynched: 'true' }],
        ['PUT', `/v1/users/${userId}/userStatus`, { userStatus: 'enabled' }],
        ['PUT', `/v1/users/${userId}/userStatus`, { userStatus: true }],
        ['POST', '/v1/users', { emailAddress: 42 }],
        ['PUT', '/v1/company/settings', { lockout: { maxFailedAttempts: '5' } }],
        ['PUT', '/v1/company/settings', { rateLimit: { burst: 1.5 } }],
        ['POST', '/v1/apikeys', { role: 'ROOT' }],
        ['POST', '/v1/apikeys', { role: 'SUPER_ADMIN', description: 7 }],
        [
          'PUT',
          `/v1/users/${userId}/emergencyTokencode`,
          { expirationDays: true },
          INVALID_EXPIRATION,
        ],
        [
          'PUT',
          `/v1/users/${userId}/emergencyTokencode`,
          { expirationDays: 2.5 },
          INVALID_EXPIRATION,
        ],
        [
          'PUT',
          `/v2/users/${userId}/emergencyTokencode`,
          { oneTimeUse: 'true' },
          INVALID_EXPIRATION,
        ],
        ['PUT', `/v2/users/${userId}/emergencyTokencode`, { expiryValue: '3' }, INVALID_EXPIRATION],
      ]
      for (const [method, path, body, description] of cases) {
        const response = await raw(method, path, JSON.stringify(body))
        expectBusinessError(response, 400, description)
      }
    })

    it('unknown properties → 400 "Wrong number of properties in the request body."', async () => {
      for (const route of bodyRoutes()) {
        const base = (route.valid ?? { role: 'SUPER_ADMIN' }) as Record<string, unknown>
        for (const extra of [{ extra: 1 }, { id: userId }, { '': null }]) {
          const response = await raw(
            route.method,
            route.path,
            JSON.stringify({ ...base, ...extra }),
          )
          expectBusinessError(response, 400, UNKNOWN_PROPERTY)
        }
      }
      const nested = await raw(
        'PUT',
        '/v1/company/settings',
        JSON.stringify({ lockout: { maxFailedAttempts: 3, evil: true } }),
      )
      expectBusinessError(nested, 400, UNKNOWN_PROPERTY)
      const inToken = await raw(
        'POST',
        '/v1/sidTokens/import',
        JSON.stringify({
          tokens: [{ tokenSerialNumber: 'Q1', secret: 'JBSWY3DPEHPK3PXP', owner: 'x' }],
        }),
      )
      expectBusinessError(inToken, 400, UNKNOWN_PROPERTY)
    })

    it('__proto__ and constructor keys → 400, and no prototype pollution', async () => {
      const payloads = [
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '{"unlockMethods":["TOKEN"],"__proto__":{"polluted":"yes"}}',
        '{"lockout":{"__proto__":{"polluted":"yes"}}}',
        '{"rateLimit":{"constructor":{"prototype":{"polluted":"yes"}}}}',
        '{"emergencyAccessCode":{"__proto__":{"locked":true,"polluted":"yes"}}}',
        '{"tokens":[{"tokenSerialNumber":"P1","secret":"JBSWY3DPEHPK3PXP","__proto__":{"polluted":"yes"}}]}',
      ]
      for (const route of bodyRoutes()) {
        for (const payload of payloads) {
          const response = await raw(route.method, route.path, payload)
          expectBusinessError(response, 400)
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      const settings = (await raw('GET', '/v1/company/settings')).json()
      expect(settings.emergencyAccessCode.locked).toBe(false)
      expect(JSON.stringify(settings)).not.toContain('polluted')
    })

    it('invalid UTF-8 in a JSON body → 400, nothing stored', async () => {
      const json = (prefix: string, suffix: string, bytes: number[]) =>
        Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)])
      const payloads = [
        json('{"emailAddress":"', '@example.com"}', [0xff, 0xfe]),
        json('{"emailAddress":"a', '@example.com"}', [0xc3]),
        json('{"emailAddress":"a', '@example.com"}', [0xed, 0xa0, 0x80]), // a UTF-16 surrogate
        json('{"emailAddress":"a', '@example.com"}', [0xc0, 0xaf]), // an overlong "/"
      ]
      for (const payload of payloads) {
        expectBusinessError(await raw('POST', '/v1/users', payload), 400, MALFORMED)
      }
      const lookup = json('{"email":"', '@example.com"}', [0xff])
      expectBusinessError(await raw('POST', '/v1/users/lookup', lookup), 400, MALFORMED)
      // Well-formed UTF-8 beyond ASCII is fine.
      const ok = await raw(
        'POST',
        '/v1/users',
        Buffer.from('{"emailAddress":"zoë.😀@example.com"}'),
      )
      expect(ok.statusCode, ok.body).toBe(201)
      expect(ok.json().emailAddress).toBe('zoë.😀@example.com')
    })
  })

  describe('path parameters', () => {
    const hostileIds = [
      ['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd'],
      ['../../etc/passwd', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd'],
      ['a'.repeat(300), 'a'.repeat(300)],
      ['\u0000', '%00'],
      ['é😀', '%C3%A9%F0%9F%98%80'],
      ["' OR '1'='1", '%27%20OR%20%271%27%3D%271'],
      ['<script>alert(1)</script>', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
      ['00000000-0000-0000-0000-00000000000g', '00000000-0000-0000-0000-00000000000g'],
      [' ', '%20'],
    ] as const

    it('a non-UUID user id → 404 "User <id> not found"', async () => {
      for (const [id, encoded] of hostileIds) {
        const routes: Array<[Method, string, unknown]> = [
          ['PUT', `/v1/users/${encoded}/emergencyTokencode`, {}],
          ['PUT', `/v2/users/${encoded}/emergencyTokencode`, {}],
          ['DELETE', `/v1/users/${encoded}/emergencyTokencode/${encoded}`, undefined],
          ['PATCH', `/v1/users/${encoded}/sidTokens/enable`, { tokenSerialNumber: 'BAD-0001' }],
          ['PATCH', `/v1/users/${encoded}/sidTokens/assign`, { tokenSerialNumber: 'BAD-0001' }],
          ['PUT', `/v1/users/${encoded}/userStatus`, { userStatus: 'Disabled' }],
        ]
        for (const [method, path, body] of routes) {
          const response = await raw(
            method,
            path,
            body === undefined ? undefined : JSON.stringify(body),
            body === undefined ? null : 'application/json',
          )
          expectBusinessError(response, 404, `User ${id} not found`)
        }
      }
    })

    it('a non-UUID user id on PATCH …/methods → 400 "Invalid User ID."', async () => {
      for (const [, encoded] of hostileIds) {
        const response = await raw(
          'PATCH',
          `/v1/users/${encoded}/methods`,
          '{"unlockMethods":["TOKEN"]}',
        )
        expectBusinessError(response, 400, 'Invalid User ID.')
      }
    })

    it('a non-UUID accessID on DELETE /v1/apikeys/{accessID} → 404', async () => {
      for (const [, encoded] of hostileIds) {
        expectBusinessError(await raw('DELETE', `/v1/apikeys/${encoded}`, undefined, null), 404)
      }
    })

    it('a URL the router cannot decode → 400 business body with X-Request-Id', async () => {
      for (const path of [
        `/v1/users/%E0%A4%A/emergencyTokencode`,
        `/v1/users/%/methods`,
        `/v1/users/%C0%AF/userStatus`,
      ]) {
        const response = await raw('PUT', path, '{}')
        expectBusinessError(response, 400)
      }
    })

    it('the tokens of the target user were not touched by any of it', async () => {
      const response = await raw('POST', '/v1/users/lookup', '{"email":"target@example.com"}')
      expect(response.statusCode).toBe(200)
      expect(response.json().id).toBe(userId)
    })
  })

  describe('routing', () => {
    it('unknown routes → 404 business body', async () => {
      for (const url of [
        '/nope',
        `${ADMIN}`,
        `${ADMIN}/`,
        `${ADMIN}/v3/users/lookup`,
        `${ADMIN}/v1/users/${'x'}/unknown`,
        `${ADMIN}/v1/users/lookup/`,
        '/AdminInterface/restapi/../../etc/passwd',
        '/%2e%2e/%2e%2e/etc/passwd',
      ]) {
        const response = await shared().app.inject({ method: 'GET', url })
        expectBusinessError(response, 404)
      }
    })

    it('wrong method on a known route → 405 with Allow', async () => {
      const cases: Array<[Method, string, string[]]> = [
        ['GET', `${ADMIN}/v1/users/${userId}/methods`, ['PATCH']],
        ['POST', `${ADMIN}/v1/users/${userId}/emergencyTokencode`, ['PUT']],
        ['DELETE', `${ADMIN}/v1/company/settings`, ['GET', 'PUT']],
        ['GET', `${ADMIN}/v1/users/lookup`, ['POST']],
        ['POST', '/health/live', ['GET']],
      ]
      for (const [method, url, allowed] of cases) {
        const response = await shared().app.inject({ method, url })
        expectBusinessError(response, 405)
        const allow = String(response.headers.allow)
          .split(',')
          .map((m) => m.trim())
        for (const m of allowed) expect(allow).toContain(m)
        expect(allow).not.toContain(method)
      }
    })
  })

  describe('X-Request-Id (admin-api.md §1)', () => {
    const live = (requestId?: string) =>
      shared().app.inject({
        method: 'GET',
        url: '/health/live',
        headers: requestId === undefined ? {} : { 'x-request-id': requestId },
      })

    it('every response has one: a fresh UUID per request', async () => {
      const a = await live()
      const b = await live()
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id'])
      for (const response of [
        await raw('GET', '/v1/company/settings'),
        await raw('GET', '/v1/company/settings', undefined, null, { authorization: 'Bearer x' }),
        await raw('POST', '/v1/users', '{'),
        await shared().app.inject({ method: 'GET', url: '/nope' }),
      ]) {
        expect(response.headers['x-request-id']).toBeTruthy()
      }
    })

    it('a valid incoming id (1–128 visible ASCII) is echoed', async () => {
      for (const id of ['abc-123', 'x'.repeat(128), '!~{}[]:;/', 'A']) {
        expect((await live(id)).headers['x-request-id']).toBe(id)
      }
      const auth = await raw('GET', '/v1/company/settings', undefined, null, {
        'x-request-id': 'trace-me',
      })
      expect(auth.headers['x-request-id']).toBe('trace-me')
    })

    it('an invalid one (control characters, spaces, too long, empty) is replaced', async () => {
      for (const id of [
        'abc\u0001def',
        'has space',
        'x'.repeat(129),
        'x'.repeat(200),
        '',
        'tab\there',
      ]) {
        const echoed = (await live(id)).headers['x-request-id']
        expect(echoed).not.toBe(id)
        expect(echoed).toMatch(/^[0-9a-f-]{36}$/)
      }
    })
  })

  describe('random bodies (seeded property loop)', () => {
    it('200 random values per body route: a documented status, a documented body', async () => {
      const random = mulberry32(0x70de5c)
      const values = Array.from({ length: 200 }, () => randomPayload(random))
      const seen = new Map<number, number>()
      for (const route of bodyRoutes()) {
        const allowed = new Set([400, ...Object.keys(route.outcomes).map(Number)])
        for (const payload of values) {
          const response = await raw(route.method, route.path, payload)
          const context = `${route.name} ← ${payload.slice(0, 120)}: ${response.body.slice(0, 200)}`
          seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1)
          expect(allowed.has(response.statusCode), context).toBe(true)
          expectNoLeak(response)
          const body = response.json()
          const successKeys = route.outcomes[response.statusCode]
          if (response.statusCode < 300 && successKeys) {
            const keys = Object.keys(body).sort()
            if (route.name === 'import tokens') {
              expect(
                keys.every((key) => successKeys.includes(key)),
                context,
              ).toBe(true)
            } else {
              expect(keys, context).toEqual(successKeys)
            }
          } else {
            expect(Object.keys(body).sort(), context).toEqual(ERROR_KEYS)
            expect(body.code, context).toBe(`${response.statusCode} ${REASON[response.statusCode]}`)
          }
        }
      }
      // The generator reaches past the parser and the schema too.
      expect(seen.get(400)).toBeGreaterThan(0)
      expect([...seen.keys()].some((status) => status < 300)).toBe(true)
      const liveResponse = await shared().app.inject({ method: 'GET', url: '/health/live' })
      expect(liveResponse.statusCode).toBe(200)
    })

    it('the DELETE route ignores whatever body comes with it', async () => {
      const random = mulberry32(7)
      for (let i = 0; i < 50; i++) {
        const payload = randomPayload(random)
        const response = await raw(
          'DELETE',
          `/v1/users/${userId}/emergencyTokencode/${userId}`,
          payload,
        )
        expect([200, 400]).toContain(response.statusCode)
        expectNoLeak(response)
        if (response.statusCode === 200) {
          expect(Object.keys(response.json()).sort()).toEqual(keysOf(EacDeleteResponse))
        } else {
          expect(response.json().description).toBe(MALFORMED)
        }
      }
    })
  })
})

/** A small seeded PRNG (mulberry32): the same values on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = [
  'expirationDays',
  'oneTimeUse',
  'expiryUnit',
  'expiryValue',
  'unlockMethods',
  'tokenSerialNumber',
  'tokenName',
  'tokens',
  'secret',
  'email',
  'emailAddress',
  'firstName',
  'userStatus',
  'role',
  'description',
  'lockout',
  'maxFailedAttempts',
  'emergencyAccessCode',
  'length',
  '__proto__',
  'constructor',
  'toString',
  'x',
]

const STRINGS = [
  '',
  '7',
  '0',
  '-1',
  '1e3',
  'days',
  'minutes',
  'TOKEN',
  'SMS',
  'Enabled',
  'Disabled',
  'BAD-0001',
  'target@example.com',
  'JBSWY3DPEHPK3PXP',
  '\u0000',
  '\ud800',
  '../../etc/passwd',
  "'; DROP TABLE users; --",
  '%s%n',
  '😀',
]

const NUMBERS = [0, 1, 2, 3, 7, 8, -1, 1.5, 1e308, -0, 2 ** 53, 3600]

/** A random request body: mostly JSON (objects with known keys), sometimes raw garbage. */
function randomPayload(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  const value = (depth: number): string => {
    const kind = Math.floor(random() * (depth > 2 ? 5 : 7))
    switch (kind) {
      case 0:
        return JSON.stringify(pick(STRINGS))
      case 1:
        return JSON.stringify(pick(NUMBERS))
      case 2:
        return pick(['true', 'false', 'null'])
      case 3:
        return JSON.stringify(randomString(random, 12))
      case 4:
        return JSON.stringify(pick(NUMBERS))
      case 5:
        return `[${Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1)).join(',')}]`
      default:
        return object(depth + 1)
    }
  }
  const object = (depth: number): string => {
    const count = Math.floor(random() * 3)
    const entries = Array.from(
      { length: count },
      () => `${JSON.stringify(pick(KEYS))}:${value(depth)}`,
    )
    return `{${entries.join(',')}}`
  }
  const roll = random()
  if (roll < 0.6) return object(0)
  if (roll < 0.8) return value(0)
  return randomString(random, 40)
}

function randomString(random: () => number, max: number): string {
  const length = Math.floor(random() * max)
  let text = ''
  for (let i = 0; i < length; i++) {
    const roll = random()
    text +=
      roll < 0.7
        ? String.fromCharCode(32 + Math.floor(random() * 95))
        : roll < 0.9
          ? String.fromCharCode(Math.floor(random() * 32))
          : String.fromCodePoint(0xa0 + Math.floor(random() * 0x2000))
  }
  return text
}

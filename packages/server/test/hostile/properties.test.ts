import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import type { ApiKeyFile } from '@tokendesk/core'
import { Ajv, type ValidateFunction } from 'ajv'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { beforeAll, describe, expect, it } from 'vitest'
import { REASON } from '../../src/http/error-status.js'
import { type AuthnBody, agentKey, expectFullShape, MFA } from '../authn/authn-helpers.js'
import { ADMIN, importTokens, signJwt, useSharedTestApp } from '../helpers.js'

/**
 * issue 8, property-based hostile input (docs/errors.md, admin-api.md §1 and §4): random
 * requests at EVERY route of the real app — the routes are read from its own `/openapi.json`,
 * so a new route is covered without touching this file — with real RS256 JWTs and real agent
 * keys. Whatever arrives (random JSON, schema-shaped nonsense, hostile path parameters and query
 * strings, wrong content types, invalid UTF-8, huge and 60,000-level nested bodies, wrong
 * methods), the answer comes within {@link ANSWER_WITHIN_MS}, is never a 5xx, has a status the
 * route documents or a generic one, and the body documented for that status: the route's
 * OpenAPI schema where it has one, else the business body `{"code","description"}`, or the
 * Spring-style 403 for a failed JWT. Afterwards the server still serves.
 *
 * Replay: `TOKENDESK_FC_SEED=<seed> npx vitest run packages/server/test/hostile/properties.test.ts`
 * (fast-check prints the seed and the shrunk counterexample on failure);
 * `TOKENDESK_FC_RUNS` scales the runs per route.
 */

const SEED = Number(process.env.TOKENDESK_FC_SEED ?? 20_261_130)
const RUNS = Number(process.env.TOKENDESK_FC_RUNS ?? 12)
/** No request may hang: each one is answered within this bound (inject over SQLite). */
const ANSWER_WITHIN_MS = 5_000

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'
const METHODS: Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

type Api = 'admin' | 'authn' | 'open'
type Auth = 'valid' | 'helpdesk' | 'none' | 'garbage'

interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  anyOf?: JsonSchema[]
  maxLength?: number
}

/** One operation of the OpenAPI document (plus the hidden documentation routes). */
interface Operation {
  name: string
  method: Method
  /** The path as find-my-way writes it (`:userId`, `*`). */
  route: string
  api: Api
  params: string[]
  query: string[]
  /** The request body's schema (JSON routes), or a hint of its keys (the Authentication API). */
  body: JsonSchema | undefined
  /** Documented statuses, with their body schemas where the document gives one. */
  responses: Map<number, ValidateFunction | undefined>
}

/** Statuses any route may answer besides its documented ones (docs/errors.md). */
const GENERIC: Record<Api, number[]> = {
  admin: [400, 403, 404, 405, 413, 415, 429],
  authn: [400, 401, 404, 405, 413, 415, 429],
  open: [400, 404, 405, 413, 415],
}

/** The Authentication API reads bodies tolerantly and has no body schema: the keys it reads. */
const AUTHN_BODY: JsonSchema = {
  type: 'object',
  properties: {
    subjectName: { type: 'string', enum: ['target@example.com'] },
    clientId: { type: 'string' },
    lang: { type: 'string' },
    authnAttemptTimeout: { type: 'integer' },
    authMethodId: { type: 'string', enum: ['SECURID', 'TOTP', 'EMERGENCY_TOKENCODE', 'SMS'] },
    keepAttempt: { type: 'boolean' },
    context: {
      type: 'object',
      properties: {
        messageId: { type: 'string' },
        authnAttemptId: { type: 'string' },
        inResponseTo: { type: 'string' },
      },
    },
    subjectCredentials: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          methodId: { type: 'string', enum: ['SECURID', 'TOTP', 'EMERGENCY_TOKENCODE'] },
          collectedInputs: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                value: { type: 'string' },
                dataType: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false })

/** Every operation of `/openapi.json`, the HEAD of each GET, and the hidden docs routes. */
const operationsOf = (document: {
  paths: Record<string, Record<string, Record<string, unknown>>>
}): Operation[] => {
  const out: Operation[] = []
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [verb, raw] of Object.entries(operations)) {
      const op = raw as {
        parameters?: Array<{ in: string; name: string }>
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
        responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
      }
      const method = verb.toUpperCase() as Method
      const api: Api = path.startsWith(ADMIN) ? 'admin' : path.startsWith(MFA) ? 'authn' : 'open'
      const responses = new Map<number, ValidateFunction | undefined>()
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const schema = response.content?.['application/json']?.schema
        responses.set(Number(status), schema ? ajv.compile(schema) : undefined)
      }
      const parameters = op.parameters ?? []
      const base: Operation = {
        name: `${method} ${path}`,
        method,
        route: path.replace(/\{([^}]+)\}/g, ':$1'),
        api,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        body: api === 'authn' ? AUTHN_BODY : op.requestBody?.content?.['application/json']?.schema,
        responses,
      }
      out.push(base)
      if (method === 'GET') out.push({ ...base, name: `HEAD ${path}`, method: 'HEAD' })
    }
  }
  const docs = new Map<number, ValidateFunction | undefined>([
    [200, undefined],
    [302, undefined],
  ])
  for (const [name, route, params] of [
    ['GET /openapi.json', '/openapi.json', []],
    ['GET /docs', '/docs', []],
    ['GET /docs/*', '/docs/*', ['*']],
  ] as const) {
    for (const method of ['GET', 'HEAD'] as const) {
      out.push({
        name: name.replace('GET', method),
        method,
        route,
        api: 'open',
        params: [...params],
        query: [],
        body: undefined,
        responses: docs,
      })
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Percent-encodes every byte of the UTF-8 form except RFC 3986 unreserved characters. */
const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('')

/** Inserts a segment as a careless client would: ASCII as is (`%`, `/`, `..`, NUL), the rest encoded. */
const rawEncode = (text: string): string =>
  [...text]
    .map((char) => (char.charCodeAt(0) < 0x80 && char !== '#' ? char : percentEncode(char)))
    .join('')

const NASTY = [
  '',
  '.',
  '..',
  '%',
  '%%',
  '%2',
  '%zz',
  '%00',
  '%2e%2e',
  '%2F',
  '/',
  '//',
  '\u0000',
  '\\',
  '?',
  ';',
  '../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%E0%A4%A',
  '%C0%AF',
  '\ud800',
  '\ufeff',
  '😀',
  'null',
  '__proto__',
  'constructor',
  "' OR 1=1 --",
  '\u0024{jndi:ldap://x}',
  'LOOKUP',
  'lookup',
]

/** A path parameter: hostile text, very long text, or a real id (to reach the handler). */
const pathParam = (realIds: string[]) =>
  fc.record({
    text: fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 1_000, max: 20_000 }), fc.constantFrom('x', 'é', '%', '/', '😀'))
          .map(([n, c]) => c.repeat(n)),
      },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: fc.constantFrom(...realIds) },
    ),
    encoding: fc.constantFrom('encoded', 'raw'),
  })

const queryString = (op: Operation) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            ...op.query,
            'dryRun',
            'pageSize',
            'pageNumber',
            '__proto__',
            'resourceId',
          ),
          fc.string({ maxLength: 8 }),
        ),
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 30 }),
          fc.constantFrom(
            'true',
            'false',
            '1',
            '-1',
            '0',
            '1e309',
            'NaN',
            '9999999999999999999999',
            '2026-01-01T00:00:00Z',
            '2026-13-45T99:99:99Z',
            '',
          ),
        ),
      ),
      { maxLength: 4 },
    )
    .map((pairs) =>
      pairs.length === 0
        ? ''
        : `?${pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`,
    )

/** Values shaped by a JSON schema (enum members, the right types), with random JSON mixed in. */
const shaped = (schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> => {
  const noise = fc.jsonValue({ maxDepth: 2 })
  if (!schema || depth > 4) return noise
  const types = [schema.type].flat()
  let arbitrary: fc.Arbitrary<unknown>
  if (schema.enum) arbitrary = fc.constantFrom(...schema.enum)
  else if (schema.anyOf) arbitrary = fc.oneof(...schema.anyOf.map((s) => shaped(s, depth + 1)))
  else if (types.includes('object') || schema.properties) {
    const properties = schema.properties ?? {}
    const record = Object.fromEntries(
      Object.entries(properties).map(([key, sub]) => [key, shaped(sub, depth + 1)]),
    )
    arbitrary = fc
      .tuple(
        fc.record(record, { requiredKeys: [] }),
        fc.option(fc.dictionary(fc.string({ maxLength: 6 }), noise, { maxKeys: 2 }), {
          freq: 4,
        }),
      )
      .map(([known, extra]) => ({ ...(extra ?? {}), ...known }))
  } else if (types.includes('array')) {
    arbitrary = fc.array(shaped(schema.items, depth + 1), { maxLength: 4 })
  } else if (types.includes('integer')) {
    arbitrary = fc.oneof(fc.integer({ min: -5, max: 100 }), fc.integer())
  } else if (types.includes('number')) {
    arbitrary = fc.double()
  } else if (types.includes('boolean')) {
    arbitrary = fc.boolean()
  } else if (types.includes('string')) {
    arbitrary = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.emailAddress(),
      fc.constantFrom('JBSWY3DPEHPK3PXP', 'target@example.com', 'BAD-0001', 'x'.repeat(300)),
    )
  } else arbitrary = noise
  return fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: noise })
}

interface Body {
  payload: string | Buffer | undefined
  contentType: string | undefined
  /** What the body is, for failure messages (huge payloads are not printed). */
  label: string
}

const json = (value: unknown, label = 'json'): Body => ({
  payload: JSON.stringify(value) ?? 'null',
  contentType: 'application/json',
  label: `${label}: ${String(JSON.stringify(value)).slice(0, 300)}`,
})

/** Small values that trip careless readers; also sent exhaustively to every route. */
const EDGE_VALUES: unknown[] = [
  null,
  [],
  {},
  '',
  0,
  -1,
  true,
  'null',
  [null],
  [{}],
  { context: null },
]

/** Random JSON: any JSON value, or nonsense in the shape of the route's schema. */
const randomJsonBody = (op: Operation): fc.Arbitrary<Body> =>
  fc.oneof(
    fc.constantFrom(...EDGE_VALUES).map((v) => json(v, 'edge')),
    fc.jsonValue({ maxDepth: 5 }).map((v) => json(v, 'jsonValue')),
    shaped(op.body).map((v) => json(v, 'shaped')),
    fc
      .dictionary(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
        shaped(op.body),
      )
      .map((v) => json(v, 'proto keys')),
  )

const CONTENT_TYPES = [
  'text/plain',
  'text/csv',
  'application/x-ndjson',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json-patch+json',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'json',
  '*/*',
  '',
]

/** Text and bytes under the wrong (or right) content type, including invalid UTF-8. */
const wrongTypeBody: fc.Arbitrary<Body> = fc
  .record({
    contentType: fc.oneof(
      fc.constantFrom(...CONTENT_TYPES, 'application/json'),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    ),
    payload: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      // Valid JSON around bytes that are not UTF-8 (overlong `/`, a lone continuation, 0xFF).
      fc
        .constantFrom([0xc0, 0xaf], [0x80], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80])
        .map((bad) =>
          Buffer.concat([Buffer.from('{"email":"'), Buffer.from(bad), Buffer.from('"}')]),
        ),
      fc.constantFrom('a,b\n1,2\n', '{"a":1}\n{"b":2}\n', '<a/>', 'x=1&y=2', '--x\r\n\r\n--x--'),
    ),
  })
  .map(({ contentType, payload }) => ({
    payload,
    contentType,
    label: `${contentType} ${Buffer.isBuffer(payload) ? payload.toString('hex').slice(0, 200) : JSON.stringify(payload).slice(0, 200)}`,
  }))

/** Bodies past the 64 KiB limit, and deeply nested ones (unclosed too). */
const hugeBody: fc.Arbitrary<Body> = fc.oneof(
  fc.integer({ min: 64 * 1024 - 64, max: 300 * 1024 }).map((size) => ({
    payload: JSON.stringify({ email: 'x'.repeat(size) }),
    contentType: 'application/json',
    label: `string of ${size} bytes`,
  })),
  fc.integer({ min: 10_000, max: 40_000 }).map((count) => ({
    payload: JSON.stringify({ tokens: Array.from({ length: count }, (_, i) => i) }),
    contentType: 'application/json',
    label: `array of ${count} numbers`,
  })),
  fc
    .record({
      depth: fc.integer({ min: 1_000, max: 60_000 }),
      open: fc.constantFrom('[', '{"a":', '{"context":', '{"lockout":'),
      closed: fc.boolean(),
    })
    .map(({ depth, open, closed }) => {
      const levels = open === '[' ? depth : Math.min(depth, 12_000)
      const close = open === '[' ? ']' : '}'
      return {
        payload: `${open.repeat(levels)}${closed ? `1${close.repeat(levels)}` : ''}`,
        contentType: 'application/json',
        label: `${levels} levels of ${open} (${closed ? 'closed' : 'unclosed'})`,
      }
    }),
)

// ---------------------------------------------------------------------------------------------

describe('property-based hostile input at every route (issue 8)', () => {
  const shared = useSharedTestApp({ env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '100000' } })
  let ops: Operation[] = []
  let oracle: ReturnType<typeof FindMyWay<FindMyWay.HTTPVersion.V1>>
  let realIds: string[] = []
  let agentKeys: string[] = []
  let superAdmin: ApiKeyFile
  let helpDesk: ApiKeyFile
  let tokens: { super: string; helpDesk: string }
  let sent = 0

  beforeAll(async () => {
    const t = shared()
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    ops = operationsOf(document)
    // The same routing as the app (app.ts: duplicate slashes ignored, 16 KiB parameters), to
    // know which operation — hence which documented statuses — a hostile URL actually reaches.
    oracle = FindMyWay({ ignoreDuplicateSlashes: true, maxParamLength: 16 * 1024 })
    for (const op of ops) {
      if (!oracle.hasRoute(op.method as HTTPMethod, op.route)) {
        oracle.on(op.method as HTTPMethod, op.route, () => undefined, op)
      }
    }
    superAdmin = t.company.superAdmin
    helpDesk = t.company.helpDesk
    tokens = {
      super: await signJwt(superAdmin, { exp: Math.floor(Date.now() / 1000) + 3000 }),
      helpDesk: await signJwt(helpDesk, { exp: Math.floor(Date.now() / 1000) + 3000 }),
    }
    await importTokens(t, ['BAD-0001'])
    realIds = [await t.createUser('target@example.com'), 'BAD-0001']
    // Several agent keys: each has its own bucket (burst 400), so most calls pass the limiter.
    agentKeys = [await agentKey(t), await agentKey(t), await agentKey(t), await agentKey(t)]
  })

  it('enumerates every route of the app, the Authentication API included', () => {
    const names = ops.map((op) => op.name)
    expect(ops.length).toBeGreaterThanOrEqual(40)
    for (const expected of [
      `PATCH ${ADMIN}/v1/users/{userId}/methods`,
      `DELETE ${ADMIN}/v1/apikeys/{accessID}`,
      `POST ${ADMIN}/v1/users/import`,
      `POST ${MFA}/authn/initialize`,
      `GET ${MFA}/authn/resources`,
      'GET /health/ready',
      'GET /openapi.json',
    ]) {
      expect(names).toContain(expected)
    }
  })

  type Request = {
    method: Method
    params: Array<{ text: string; encoding: 'encoded' | 'raw' }>
    query: string
    body: Body
    auth: Auth
  }

  const urlOf = (op: Operation, request: Request): string => {
    let index = 0
    const path = op.route.replace(/:[A-Za-z]+|\*/g, () => {
      const param = request.params[index++]
      if (!param) return ''
      return param.encoding === 'encoded' ? percentEncode(param.text) : rawEncode(param.text)
    })
    return `${path}${request.query}`
  }

  const headersOf = (op: Operation, request: Request): Record<string, string> => {
    const headers: Record<string, string> = {}
    if (request.body.contentType !== undefined) headers['content-type'] = request.body.contentType
    if (op.api === 'authn') {
      if (request.auth === 'garbage') headers['client-key'] = 'not-a-key'
      else if (request.auth !== 'none') {
        headers['client-key'] = agentKeys[sent % agentKeys.length] as string
      }
    } else {
      const jwt =
        request.auth === 'valid'
          ? tokens.super
          : request.auth === 'helpdesk'
            ? tokens.helpDesk
            : request.auth === 'garbage'
              ? 'eyJhbGciOiJub25lIn0.e30.'
              : undefined
      if (jwt !== undefined) headers.authorization = `Bearer ${jwt}`
    }
    return headers
  }

  const inject = async (op: Operation, request: Request): Promise<LightMyRequestResponse> => {
    sent += 1
    let timer: NodeJS.Timeout | undefined
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)),
        ANSWER_WITHIN_MS,
      )
    })
    try {
      return await Promise.race([
        shared().app.inject({
          method: request.method,
          url: urlOf(op, request),
          headers: headersOf(op, request),
          ...(request.body.payload !== undefined && { payload: request.body.payload }),
        }),
        hung,
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  const seen = new Map<number, number>()

  /** The oracle: which documented operation the URL reaches, and what it may answer. */
  const expectDocumented = (op: Operation, request: Request, response: LightMyRequestResponse) => {
    const url = urlOf(op, request)
    const context = `${request.method} ${url.slice(0, 200)} [${request.auth}] ${request.body.label.slice(0, 300)}\n→ ${response.statusCode} ${response.body.slice(0, 300)}`
    const status = response.statusCode
    seen.set(status, (seen.get(status) ?? 0) + 1)

    // Never a 5xx, never an internal detail.
    expect(status, context).toBeLessThan(500)
    expect(response.body, context).not.toMatch(
      /\n\s+at |node_modules|\/work\/|\.ts:\d+|SQLITE|Kysely/,
    )
    expect(response.headers['x-request-id'], context).toBeTruthy()
    expect(response.headers['x-content-type-options'], context).toBe('nosniff')
    expect(response.headers['referrer-policy'], context).toBe('no-referrer')
    expect(response.headers['x-powered-by'], context).toBeUndefined()

    let found: ReturnType<typeof oracle.find> = null
    try {
      found = oracle.find(request.method as HTTPMethod, url.split('?')[0] ?? '/')
    } catch {
      found = null // a URL the router cannot decode: 400
    }
    const reached = (found?.store as Operation | undefined) ?? undefined
    const api: Api =
      reached?.api ?? (url.startsWith(MFA) ? 'authn' : url.startsWith(ADMIN) ? 'admin' : 'open')
    // No route: 404/405, or the body's own verdict (400/413/415), read before the 404 handler.
    const allowed = reached
      ? new Set([...reached.responses.keys(), ...GENERIC[api]])
      : new Set([400, 404, 405, 413, 415])
    expect(allowed.has(status), `status ${status} is not documented: ${context}`).toBe(true)

    if (status === 405) expect(response.headers.allow, context).toBeTruthy()
    if (status === 429) expect(response.headers['retry-after'], context).toBeTruthy()
    if (request.method === 'HEAD') return
    if (status === 302) {
      expect(reached?.route.startsWith('/docs'), context).toBe(true)
      return
    }
    if (status < 300) {
      if (reached?.route.startsWith('/docs') && reached.route !== '/docs/json') return
      const body = response.json()
      const validate = reached?.responses.get(status)
      if (validate)
        expect(validate(body), `${ajv.errorsText(validate.errors)}: ${context}`).toBe(true)
      if (reached?.api === 'authn') {
        expect(response.headers['cache-control'], context).toBe('no-store')
        if (/\/authn\/(initialize|verify|cancel)$/.test(reached.route)) {
          expectFullShape(body as AuthnBody)
        } else {
          expect(typeof body, context).toBe('object')
        }
      }
      return
    }
    expect(response.headers['content-type'], context).toMatch(/^application\/json/)
    const body = response.json() as Record<string, unknown>
    if (
      status === 403 &&
      api === 'admin' &&
      (request.auth === 'none' || request.auth === 'garbage')
    ) {
      // A JWT that fails: the Spring-style body (docs/errors.md AUTHENTICATION_FAILED).
      expect(Object.keys(body).sort(), context).toEqual([
        'error',
        'message',
        'path',
        'status',
        'timestamp',
      ])
      expect(body.status, context).toBe(403)
      expect(body.error, context).toBe('Forbidden')
      return
    }
    // The business body: exactly `code` + `description` (+ `errors` for a bad import file).
    const keys = Object.keys(body).filter((key) => key !== 'errors')
    expect(keys.sort(), context).toEqual(['code', 'description'])
    if ('errors' in body) expect(reached?.route, context).toMatch(/\/import$/)
    expect(body.code, context).toBe(`${status} ${REASON[status]}`)
    expect(typeof body.description, context).toBe('string')
    const validate = reached?.responses.get(status)
    if (validate)
      expect(validate(body), `${ajv.errorsText(validate.errors)}: ${context}`).toBe(true)
    // Past authentication (the RateLimit-* headers say so), nothing of the API may be cached.
    if (response.headers['ratelimit-limit'] !== undefined) {
      expect(response.headers['cache-control'], context).toBe('no-store')
    }
  }

  const auth: fc.Arbitrary<Auth> = fc.oneof(
    { weight: 8, arbitrary: fc.constant<Auth>('valid') },
    { weight: 1, arbitrary: fc.constantFrom<Auth>('helpdesk', 'none', 'garbage') },
  )
  const method = (op: Operation): fc.Arbitrary<Method> =>
    fc.oneof(
      { weight: 9, arbitrary: fc.constant(op.method) },
      { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
    )
  const realParams = (op: Operation) =>
    fc.tuple(
      ...op.params.map(() =>
        fc.record({
          text: fc.constantFrom(...realIds),
          encoding: fc.constant<'encoded' | 'raw'>('encoded'),
        }),
      ),
    )

  /** Runs `numRuns` requests per route; fast-check names the seed and the shrunk request. */
  const everyRoute = async (
    build: (op: Operation) => fc.Arbitrary<Request>,
    numRuns: number,
    filter: (op: Operation) => boolean = () => true,
  ) => {
    for (const op of ops.filter(filter)) {
      await fc.assert(
        fc.asyncProperty(build(op), async (request) => {
          expectDocumented(op, request, await inject(op, request))
        }),
        { seed: SEED, numRuns },
      )
    }
  }

  it('random JSON bodies (any value, schema-shaped nonsense, __proto__ keys)', async () => {
    await everyRoute(
      (op) =>
        fc.record({
          method: method(op),
          params: realParams(op),
          query: fc.constant(''),
          body: randomJsonBody(op),
          auth,
        }),
      RUNS * 2,
    )
  })

  it('edge bodies (null, [], {}, "", 0, …) at every route, exhaustively', async () => {
    for (const op of ops) {
      for (const value of EDGE_VALUES) {
        for (const method of [op.method, op.method === 'POST' ? 'PUT' : 'POST'] as const) {
          const request: Request = {
            method,
            params: op.params.map(() => ({ text: realIds[0] as string, encoding: 'encoded' })),
            query: '',
            body: json(value, 'edge'),
            auth: 'valid',
          }
          expectDocumented(op, request, await inject(op, request))
        }
      }
    }
  })

  it('hostile path parameters (unicode, %, .., /, NUL, 20,000 characters) and query strings', async () => {
    await everyRoute(
      (op) =>
        fc.record({
          method: method(op),
          params: fc.tuple(...op.params.map(() => pathParam(realIds))),
          query: queryString(op),
          body: op.body
            ? randomJsonBody(op)
            : fc.constant<Body>({ payload: undefined, contentType: undefined, label: 'none' }),
          auth,
        }),
      RUNS * 2,
      (op) => op.params.length > 0 || op.query.length > 0 || op.api === 'authn',
    )
  })

  it('wrong content types, raw text and invalid UTF-8 bytes', async () => {
    await everyRoute(
      (op) =>
        fc.record({
          method: method(op),
          params: realParams(op),
          query: fc.constant(''),
          body: wrongTypeBody,
          auth,
        }),
      RUNS,
    )
  })

  it('huge bodies and 1,000–60,000 levels of nesting', async () => {
    await everyRoute(
      (op) =>
        fc.record({
          method: fc.constant(op.method),
          params: realParams(op),
          query: fc.constant(''),
          body: hugeBody,
          auth: fc.constant<Auth>('valid'),
        }),
      Math.max(3, Math.floor(RUNS / 3)),
      (op) => op.method !== 'GET' && op.method !== 'HEAD',
    )
  })

  it('the runs above reached past the parser and the schemas (not only 4xx)', () => {
    const successes = [...seen].filter(([status]) => status < 300).reduce((n, [, c]) => n + c, 0)
    expect(successes).toBeGreaterThan(50)
    for (const status of [400, 403, 404, 405, 413, 415]) expect(seen.get(status)).toBeGreaterThan(0)
  })

  describe('over a real socket (what inject cannot send)', () => {
    let port = 0
    beforeAll(async () => {
      await shared().app.listen({ host: '127.0.0.1', port: 0 })
      port = (shared().app.server.address() as AddressInfo).port
    })

    /** Writes raw bytes, returns what came back before the server closed (or 5 s passed). */
    const raw = (data: Buffer | string, endAfterWrite = false) =>
      new Promise<{ text: string; closed: boolean }>((resolve) => {
        const socket = connect(port, '127.0.0.1')
        let text = ''
        const timer = setTimeout(() => {
          socket.destroy()
          resolve({ text, closed: false })
        }, ANSWER_WITHIN_MS)
        socket.on('data', (chunk) => {
          text += chunk.toString('latin1')
        })
        socket.on('error', () => undefined)
        socket.on('close', () => {
          clearTimeout(timer)
          resolve({ text, closed: true })
        })
        socket.write(data)
        if (endAfterWrite) socket.end()
      })

    const lookup = (headers: string, body: Buffer | string = '') =>
      Buffer.concat([
        Buffer.from(
          `POST ${ADMIN}/v1/users/lookup HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tokens.super}\r\n${headers}\r\n`,
        ),
        Buffer.from(body),
      ])

    const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1])
    const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))

    it('invalid UTF-8 in a JSON body → 400 "Malformed JSON request body."', async () => {
      for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe0, 0x80]]) {
        const body = Buffer.concat([Buffer.from('{"email":"'), Buffer.from(bad), Buffer.from('"}')])
        const { text } = await raw(
          lookup(
            `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n`,
            body,
          ),
        )
        expect(statusOf(text), text).toBe(400)
        expect(bodyOf(text)).toStrictEqual({
          code: '400 BAD_REQUEST',
          description: 'Malformed JSON request body.',
        })
      }
    })

    it('a declared Content-Length over the limit → 413 at once, without reading the body', async () => {
      const started = Date.now()
      const { text, closed } = await raw(
        lookup('Content-Type: application/json\r\nContent-Length: 100000000\r\n', '{"em'),
      )
      expect(statusOf(text), text).toBe(413)
      expect(bodyOf(text)).toStrictEqual({
        code: '413 PAYLOAD_TOO_LARGE',
        description: expect.any(String),
      })
      expect(closed).toBe(true)
      expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS)
    })

    it('a chunked body that grows past the limit → 413', async () => {
      const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `${ADMIN}/v1/users/lookup`,
            headers: {
              authorization: `Bearer ${tokens.super}`,
              'content-type': 'application/json',
              'transfer-encoding': 'chunked',
            },
          },
          (res) => {
            let body = ''
            res.on('data', (chunk) => {
              body += chunk
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          },
        )
        req.on('error', reject)
        req.write('{"email":"')
        for (let i = 0; i < 20; i++) req.write('x'.repeat(8 * 1024))
        req.end('"}')
      })
      expect(response.status).toBe(413)
      expect(JSON.parse(response.body)).toMatchObject({ code: '413 PAYLOAD_TOO_LARGE' })
    })

    // Node's HTTP parser refuses these before Fastify sees a request; the app's clientErrorHandler
    // answers 400 with the business body and closes the connection.
    it.each([
      [
        'Content-Length shorter than the body',
        'Content-Type: application/json\r\nContent-Length: 5\r\n',
        '{"email":"a@b.c"}',
        false,
      ],
      [
        'Content-Length not a number',
        'Content-Type: application/json\r\nContent-Length: abc\r\n',
        '{}',
        false,
      ],
      [
        'Content-Length and Transfer-Encoding (smuggling)',
        'Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n',
        '{}',
        false,
      ],
      [
        'two different Content-Lengths',
        'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n',
        '{}',
        false,
      ],
      [
        'Content-Length longer than the body, then the client closes',
        'Content-Type: application/json\r\nContent-Length: 100\r\n',
        '{}',
        true,
      ],
    ] as const)('%s → 400, connection closed', async (_name, headers, body, endAfterWrite) => {
      const { text, closed } = await raw(lookup(headers, body), endAfterWrite)
      expect(statusOf(text), text).toBe(400)
      const parsed = bodyOf(text) as Record<string, unknown>
      expect(parsed, text).toEqual({
        code: '400 BAD_REQUEST',
        description: 'Malformed HTTP request.',
      })
      // The standard reason phrase (only the body's code has RSA's name), and a request id as
      // every response carries (admin-api.md §1).
      expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i)
      expect(text).toMatch(/\r\nx-content-type-options: nosniff\r\n/i)
      expect(closed).toBe(true)
    })

    it('a NUL or invalid UTF-8 byte in the request line → 400, connection closed', async () => {
      for (const target of [
        Buffer.from(`${ADMIN}/v2/users/a\u0000b/devices`),
        Buffer.concat([
          Buffer.from(`${ADMIN}/v2/users/`),
          Buffer.from([0xff, 0xc3, 0x28]),
          Buffer.from('/devices'),
        ]),
      ]) {
        const { text, closed } = await raw(
          Buffer.concat([
            Buffer.from('GET '),
            target,
            Buffer.from(
              ` HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${tokens.super}\r\n\r\n`,
            ),
          ]),
        )
        expect(statusOf(text), text).toBe(400)
        expect(bodyOf(text)).toMatchObject({ code: '400 BAD_REQUEST' })
        expect(closed).toBe(true)
      }
    })
  })

  it('afterwards the server is healthy: readiness, an admin call, an authentication', async () => {
    const t = shared()
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toStrictEqual({ status: 'ok', checks: { storage: 'ok' } })
    const settings = await t.call('GET', '/v1/company/settings')
    expect(settings.statusCode, settings.body).toBe(200)
    const email = `after-${Date.now()}@example.com`
    await t.createUser(email)
    const initialize = await t.app.inject({
      method: 'POST',
      url: `${MFA}/authn/initialize`,
      headers: { 'client-key': agentKeys[0] as string, 'content-type': 'application/json' },
      payload: JSON.stringify({
        subjectName: email,
        clientId: 'after',
        context: { messageId: 'after-1' },
      }),
    })
    expect(initialize.statusCode, initialize.body).toBe(200)
    expectFullShape(initialize.json() as AuthnBody)
    expect((initialize.json() as AuthnBody).context.inResponseTo).toBe('after-1')
    // Nothing sent reached Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

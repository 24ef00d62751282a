import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { afterAll, expect, it } from 'vitest'
import { signJwt } from '../helpers.js'
import {
  ADMIN,
  adminCall,
  assertCliBuilt,
  clusterEnv,
  companyWithKey,
  type Node,
  readiness,
  startNode,
  stopAllNodes,
} from '../scale-out/cluster.js'

/**
 * Issue 8, overload (docs/security.md): the real `tokendesk serve` process on SQLite, driven by
 * autocannon at 10× the benchmark's connections (500 against 50) for SOAK_DURATION_S seconds
 * (default 30) with a mix of reads, writes and bad requests. It must stay up, answer every
 * request (no timeout, no reset), answer each with a success, or `429`/`503` carrying
 * `Retry-After`, or — for the deliberately bad requests — their documented `4xx`; its memory
 * must come back near where it started, and it must be ready afterwards.
 *
 * `npm run soak` (not part of `npm test` or CI). The server logs at `warn`: at `info` every
 * request is a log line piped into this process, which would then measure the pipe.
 */

const CONNECTIONS = 500
const DURATION_S = Number(process.env.SOAK_DURATION_S ?? 30)
const USERS = 200
/** After the load, how long the server may idle before its memory is measured. */
const SETTLE_MS = 10_000
/**
 * Memory bound after the settle: 50% over the RSS measured after a 3 s warm-up at the
 * benchmark's 50 connections (the steady state of normal use), and never over 64 MiB more.
 */
const RSS_GROWTH = 1.5
const RSS_SLACK_KIB = 64 * 1024

/** The client gives up after this long (seconds). */
const CLIENT_TIMEOUT_S = 10
/** The share of requests that may go unanswered (see the assertion). */
const MAX_UNANSWERED = 0.05

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** VmRSS of a process, in KiB (Linux). */
const rssKib = (pid: number): number => {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1])
}

type Kind =
  | 'lookup'
  | 'unlock'
  | 'eacEnable'
  | 'throttledLookup'
  | 'noCredentials'
  | 'badJson'
  | 'unknownRoute'
  | 'noClientKey'

/** The statuses each kind may answer besides `429`/`503` with `Retry-After`. */
const EXPECTED: Record<Kind, readonly number[]> = {
  lookup: [200],
  unlock: [200],
  eacEnable: [200],
  // A company left at the default rate limit (50/s, burst 100): mostly 429, by design.
  throttledLookup: [200],
  // Documented 4xx of the bad requests (docs/errors.md); once the address's failed-
  // authentication budget is spent they turn into 429 with Retry-After (docs/api.md).
  noCredentials: [403],
  badJson: [400],
  unknownRoute: [404],
  noClientKey: [401],
}

/** The order each connection cycles through: mostly valid work, one request in six bad. */
const MIX: readonly Kind[] = [
  'lookup',
  'unlock',
  'lookup',
  'eacEnable',
  'lookup',
  'noCredentials',
  'lookup',
  'unlock',
  'throttledLookup',
  'lookup',
  'eacEnable',
  'lookup',
  'unknownRoute',
  'lookup',
  'noClientKey',
]
/**
 * Malformed bodies get their own connections, driven by `fetch` loops: the server answers them
 * `400` with `Connection: close` (Fastify, after a body it could not parse), which autocannon
 * does not follow (it credits later answers to the wrong requests and times out on the closed
 * socket).
 */
const BAD_BODY_CONNECTIONS = 25

afterAll(() => stopAllNodes())

it(`overload: ${CONNECTIONS} connections for ${DURATION_S} s on SQLite`, async () => {
  assertCliBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-soak-'))
  let node: Node | undefined
  try {
    const env = clusterEnv({
      TOKENDESK_DATABASE_URL: `sqlite:${join(dir, 'tokendesk.db')}`,
      TOKENDESK_LOG_LEVEL: 'warn',
    })
    // Companies and keys by the CLI before the first start (then `serve` creates no Default).
    const key = await companyWithKey(env, 'Soak')
    const throttledKey = await companyWithKey(env, 'Throttled')
    node = await startNode('soak', env)
    const throttledUser = await adminCall(node.url, throttledKey, 'POST', '/v1/users', {
      emailAddress: 'throttled@example.com',
    })
    expect(throttledUser.status).toBe(201)
    const pid = node.process.pid as number

    // The benchmark key's bucket raised high (company settings, docs/api.md "Rate limiting").
    const raised = await adminCall(node.url, key, 'PUT', '/v1/company/settings', {
      rateLimit: { requestsPerSecond: 100_000, burst: 200_000 },
    })
    expect(raised.status).toBe(200)
    const users: { id: string; email: string }[] = []
    for (let i = 0; i < USERS; i++) {
      const email = `soak${i}@example.com`
      const created = await adminCall(node.url, key, 'POST', '/v1/users', { emailAddress: email })
      expect(created.status).toBe(201)
      users.push({ id: (created.body as { id: string }).id, email })
    }
    // Signed once (valid for 5 minutes; the server caches verified tokens until they expire).
    const bearer = `Bearer ${await signJwt(key)}`
    const throttledBearer = `Bearer ${await signJwt(throttledKey)}`
    const json = { 'content-type': 'application/json' }
    const pick = () => users[Math.floor(Math.random() * users.length)] as (typeof users)[number]

    const requestOf = (kind: Kind): autocannon.Request => {
      switch (kind) {
        case 'lookup':
          return {
            method: 'POST',
            path: `${ADMIN}/v1/users/lookup`,
            headers: { authorization: bearer, ...json },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ email: pick().email }),
            }),
          }
        case 'unlock':
          return {
            method: 'PATCH',
            headers: { authorization: bearer, ...json },
            body: JSON.stringify({ unlockMethods: ['TOKEN', 'EMERGENCY_TOKENCODE'] }),
            setupRequest: (request) => ({
              ...request,
              path: `${ADMIN}/v1/users/${pick().id}/methods`,
            }),
          }
        case 'eacEnable':
          return {
            method: 'PUT',
            headers: { authorization: bearer, ...json },
            body: JSON.stringify({ expirationDays: '2' }),
            setupRequest: (request) => ({
              ...request,
              path: `${ADMIN}/v1/users/${pick().id}/emergencyTokencode`,
            }),
          }
        case 'throttledLookup':
          return {
            method: 'POST',
            path: `${ADMIN}/v1/users/lookup`,
            headers: { authorization: throttledBearer, ...json },
            body: JSON.stringify({ email: 'throttled@example.com' }),
          }
        case 'noCredentials':
          return {
            method: 'POST',
            path: `${ADMIN}/v1/users/lookup`,
            headers: json,
            body: JSON.stringify({ email: 'soak0@example.com' }),
          }
        case 'badJson':
          return {
            method: 'POST',
            path: `${ADMIN}/v1/users/lookup`,
            headers: { authorization: bearer, ...json },
            body: '{"email": ',
          }
        case 'unknownRoute':
          return {
            method: 'GET',
            path: `${ADMIN}/v1/no-such-route`,
            headers: { authorization: bearer },
          }
        case 'noClientKey':
          return {
            method: 'POST',
            path: '/mfa/v1_1/authn/initialize',
            headers: json,
            body: JSON.stringify({ subjectName: 'soak0@example.com', context: { messageId: 'm' } }),
          }
      }
    }

    // Counts per kind and status, and the answers outside the contract (kept for the report).
    const counts = new Map<string, number>()
    const violations: string[] = []
    /** The slowest answer of each kind, in ms. */
    const slowest = new Map<Kind, number>()
    const record = (
      kind: Kind,
      status: number,
      body: string,
      headers: Record<string, unknown>,
      ms: number,
    ) => {
      const label = `${kind} ${status}`
      counts.set(label, (counts.get(label) ?? 0) + 1)
      slowest.set(kind, Math.max(slowest.get(kind) ?? 0, ms))
      const retryAfter = Object.entries(headers).find(
        ([name]) => name.toLowerCase() === 'retry-after',
      )?.[1]
      const shed = status === 429 || status === 503
      const fine = EXPECTED[kind].includes(status) || (shed && Number(retryAfter) >= 1)
      if (!fine && violations.length < 20) {
        violations.push(`${label} retry-after=${String(retryAfter)} ${body.slice(0, 200)}`)
      }
    }
    /** Each connection sends one request at a time, so its context times the one in flight. */
    type Timed = { sentAt?: number }
    const instrumented = (kind: Kind): autocannon.Request => {
      const base = requestOf(kind)
      return {
        ...base,
        setupRequest: (request, context) => {
          ;(context as Timed).sentAt = performance.now()
          const setup = base.setupRequest as
            | ((request: autocannon.Request, context: object) => autocannon.Request)
            | undefined
          return setup ? setup(request, context) : request
        },
        onResponse: (status, body, context, headers) => {
          const sentAt = (context as Timed).sentAt ?? performance.now()
          record(kind, status, body, headers ?? {}, performance.now() - sentAt)
        },
      }
    }

    /** `connections` sequential `fetch` loops of malformed bodies for `seconds`. */
    const badBodies = async (connections: number, seconds: number) => {
      const request = requestOf('badJson')
      const until = Date.now() + seconds * 1000
      let sent = 0
      let errors = 0
      let firstError: string | undefined
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (Date.now() < until) {
            sent += 1
            const sentAt = performance.now()
            try {
              const response = await fetch(`${node?.url}${request.path}`, {
                method: 'POST',
                headers: request.headers as Record<string, string>,
                body: request.body as string,
                signal: AbortSignal.timeout(CLIENT_TIMEOUT_S * 1000),
              })
              const text = await response.text()
              const headers = Object.fromEntries(response.headers)
              record('badJson', response.status, text, headers, performance.now() - sentAt)
            } catch (error) {
              errors += 1 // unanswered (a timeout), counted with autocannon's
              firstError ??= String(error)
            }
          }
        }),
      )
      return { sent, errors, firstError }
    }

    /** The mix and the malformed bodies at once; `connections` in all. */
    const load = async (connections: number, seconds: number) => {
      const bad = Math.max(1, Math.round((connections * BAD_BODY_CONNECTIONS) / CONNECTIONS))
      const [mixed, malformed] = await Promise.all([
        autocannon({
          url: node?.url as string,
          duration: seconds,
          timeout: CLIENT_TIMEOUT_S,
          connections: connections - bad,
          requests: MIX.map(instrumented),
        }),
        badBodies(bad, seconds),
      ])
      // `requests.sent` is in autocannon's result, not in its types.
      const sent = (mixed.requests as { sent?: number }).sent ?? mixed.requests.total
      return {
        total: sent + malformed.sent,
        answered: mixed.requests.total + malformed.sent - malformed.errors,
        perSecond: mixed.requests.average + (malformed.sent - malformed.errors) / seconds,
        latency: mixed.latency,
        unanswered: mixed.errors + malformed.errors,
        malformedUnanswered: `${malformed.errors} of ${malformed.sent}${malformed.firstError ? ` (${malformed.firstError})` : ''}`,
        timeouts: mixed.timeouts,
      }
    }

    const rssStart = rssKib(pid)
    // Warm-up at the benchmark's connection count: the memory of normal use.
    await load(50, 3)
    await sleep(1_000)
    const rssWarm = rssKib(pid)
    const warmCounts = new Map(counts)
    counts.clear()

    let rssPeak = rssWarm
    const sampler = setInterval(() => {
      if (node?.process.exitCode === null) rssPeak = Math.max(rssPeak, rssKib(pid))
    }, 250)
    let result: Awaited<ReturnType<typeof load>>
    try {
      result = await load(CONNECTIONS, DURATION_S)
    } finally {
      clearInterval(sampler)
    }
    const exitedDuringLoad = node.process.exitCode !== null || node.process.signalCode !== null
    await sleep(SETTLE_MS)
    const rssAfter = rssKib(pid)
    const ready = await readiness(node.url)

    // The summary, whatever the verdict.
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`
    const byKind = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))
    console.log(
      [
        `soak: ${CONNECTIONS} connections, ${DURATION_S} s, SQLite`,
        `  requests sent ${result.total}, answered ${result.answered} (${result.perSecond.toFixed(0)}/s avg), mixed ` +
          `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
        `  unanswered ${result.unanswered} (${((100 * result.unanswered) / result.total).toFixed(2)}%; client timeouts ${result.timeouts}; malformed bodies ${result.malformedUnanswered})`,
        `  warm-up (50 connections, 3 s): ${[...warmCounts.entries()].map(([l, n]) => `${l}: ${n}`).join(', ')}`,
        ...byKind.map(([label, n]) => `  ${label}: ${n}`),
        `  slowest answer (ms): ${[...slowest.entries()].map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ')}`,
        `  RSS start ${mib(rssStart)}, after warm-up ${mib(rssWarm)}, peak ${mib(rssPeak)}, ` +
          `after ${SETTLE_MS / 1000} s settle ${mib(rssAfter)}`,
        `  /health/ready after: ${ready.status}`,
        ...violations.map((v) => `  VIOLATION ${v}`),
      ].join('\n'),
    )

    // 1. Up all along, and ready after.
    expect(exitedDuringLoad).toBe(false)
    expect(node.process.exitCode).toBe(null)
    expect(ready).toEqual({ status: 200, body: { status: 'ok', checks: { storage: 'ok' } } })
    // 2. Every answer within the contract.
    // Unanswered requests (client timeouts) are the connections a saturated Node 20 server has
    // not accepted yet (libuv ≥ 1.46 stops accepting while the loop is busy; nodejs/node#57364;
    // a bare node:http server doing 1 ms of work per request shows the same at 500
    // connections): reported, and bounded.
    expect(result.unanswered).toBeLessThanOrEqual(result.total * MAX_UNANSWERED)
    expect(violations).toEqual([])
    const answered = [...counts.values()].reduce((a, b) => a + b, 0)
    expect(answered).toBeGreaterThan(CONNECTIONS * 10)
    // Not vacuous: every kind was sent, the valid writes succeeded, and the throttled company
    // was throttled (429 with Retry-After, checked above).
    for (const kind of MIX) {
      expect(
        [...counts.keys()].some((label) => label.startsWith(`${kind} `)),
        kind,
      ).toBe(true)
    }
    // Malformed bodies need a new connection each (the server closes after them), so under
    // the overload few are accepted: their 400 is checked in the warm-up too.
    expect(warmCounts.get('badJson 400') ?? 0).toBeGreaterThan(0)
    for (const kind of ['lookup', 'unlock', 'eacEnable'] as const) {
      expect(counts.get(`${kind} 200`) ?? 0, kind).toBeGreaterThan(0)
    }
    expect(counts.get('throttledLookup 429') ?? 0).toBeGreaterThan(0)
    // 3. Memory back near where it was.
    expect(rssAfter).toBeLessThanOrEqual(Math.min(rssWarm * RSS_GROWTH, rssWarm + RSS_SLACK_KIB))
  } finally {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

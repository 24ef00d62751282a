import { type ApiKeyFile, decodeBase32, hotp, totpStep } from '@tokendesk/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base32Secret } from '../helpers.js'
import {
  adminCall,
  assertCliBuilt,
  clusterEnv,
  companyWithKey,
  eventually,
  freshSchema,
  hex,
  type Node,
  readiness,
  startNode,
  stopAllNodes,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  type TestSchema,
} from './cluster.js'

/**
 * Acceptance of issue 5 (operations.md, Scale-out): three `tokendesk serve` processes on
 * loopback ports, one PostgreSQL schema, one Redis (a key prefix of this run, so that parallel
 * test files do not share buckets or invalidations), behave as one service.
 */
const skipReason =
  TEST_DATABASE_URL === undefined
    ? 'TOKENDESK_TEST_DATABASE_URL is unset (e.g. postgres://postgres@127.0.0.1:5432/test)'
    : TEST_REDIS_URL === undefined
      ? 'TOKENDESK_TEST_REDIS_URL is unset (e.g. redis://127.0.0.1:6379)'
      : undefined
if (skipReason) {
  console.warn(`\n*** SKIPPED scale-out/multi-node.test.ts: ${skipReason} ***\n`)
}
const suite = skipReason ? describe.skip : describe

const COMPANY = `Scale-out ${hex(3)}`
let serialCounter = 0
const nextSerial = () => {
  serialCounter += 1
  return `00${String(700_000_000 + serialCounter)}`
}

suite('three nodes over one PostgreSQL and one Redis', () => {
  let schema: TestSchema
  let env: NodeJS.ProcessEnv
  let nodes: Node[] = []
  let key: ApiKeyFile
  const node = (index: number): Node => nodes[index % nodes.length] as Node

  beforeAll(async () => {
    assertCliBuilt()
    schema = freshSchema(TEST_DATABASE_URL as string)
    env = clusterEnv({
      TOKENDESK_DATABASE_URL: schema.url,
      TOKENDESK_SECRET_KEY: Buffer.from(hex(32), 'hex').toString('base64'),
      TOKENDESK_REDIS_URL: TEST_REDIS_URL as string,
      TOKENDESK_REDIS_KEY_PREFIX: `tokendesk-test-${hex()}:`,
      TOKENDESK_DATABASE_POOL_SIZE: '10',
      TOKENDESK_SHUTDOWN_DELAY_MS: '600',
    })
    // Three nodes and the CLI at once on an empty schema: the migrations' advisory lock lets one
    // process migrate while the others wait.
    const [started, file] = await Promise.all([
      Promise.all(['n1', 'n2', 'n3'].map((name) => startNode(name, env))),
      companyWithKey(env, COMPANY),
    ])
    nodes = started
    key = file
  }, 120_000)

  afterAll(async () => {
    await stopAllNodes()
    await schema?.drop()
  })

  it('every node is ready and reports Redis in its readiness details', async () => {
    for (const n of nodes) {
      expect(await readiness(n.url)).toEqual({
        status: 200,
        body: { status: 'ok', checks: { storage: 'ok', redis: 'ok' } },
      })
    }
  })

  it('creates a user on node 1, enables an EAC on node 2, looks it up on node 3', async () => {
    const email = `eac-${hex(3)}@example.com`
    const created = await adminCall(node(0).url, key, 'POST', '/v1/users', { emailAddress: email })
    expect(created.status).toBe(201)
    const userId = (created.body as { id: string }).id
    const eac = await adminCall(node(1).url, key, 'PUT', `/v1/users/${userId}/emergencyTokencode`, {
      expirationDays: 3,
    })
    expect(eac.status).toBe(200)
    const eacId = (eac.body as { emergencyTokencodeId: string }).emergencyTokencodeId
    const found = await adminCall(node(2).url, key, 'POST', '/v1/users/lookup', { email })
    expect(found.status).toBe(200)
    expect(found.body).toMatchObject({
      id: userId,
      emergencyAccessStatus: 'Enabled',
      emergencyTokencodeId: eacId,
    })
  })

  it('30 parallel PUT …/emergencyTokencode for one user across nodes leave one active code', async () => {
    const email = `race-${hex(3)}@example.com`
    const created = await adminCall(node(0).url, key, 'POST', '/v1/users', { emailAddress: email })
    const userId = (created.body as { id: string }).id
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        adminCall(node(i).url, key, 'PUT', `/v1/users/${userId}/emergencyTokencode`, {}),
      ),
    )
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200))
    const rows = await schema.query<{ active: number; total: number }>(
      `select count(*) filter (where revoked_at is null)::int as active, count(*)::int as total
         from emergency_codes where user_id = $1`,
      [userId],
    )
    expect(rows[0]).toEqual({ active: 1, total: 30 })
    // The one active code is the one User Details reports, on every node.
    const active = await schema.query<{ id: string }>(
      'select id from emergency_codes where user_id = $1 and revoked_at is null',
      [userId],
    )
    for (const n of nodes) {
      const details = await adminCall(n.url, key, 'POST', '/v1/users/lookup', { email })
      expect((details.body as { emergencyTokencodeId: string }).emergencyTokencodeId).toBe(
        active[0]?.id,
      )
    }
  })

  it('6 parallel assigns of distinct tokens to a user holding 4 leave exactly 5', async () => {
    const serials = Array.from({ length: 10 }, nextSerial)
    const imported = await adminCall(node(0).url, key, 'POST', '/v1/sidTokens/import', {
      tokens: serials.map((tokenSerialNumber) => ({ tokenSerialNumber, secret: base32Secret() })),
    })
    expect(imported.status).toBe(200)
    const created = await adminCall(node(1).url, key, 'POST', '/v1/users', {
      emailAddress: `tokens-${hex(3)}@example.com`,
    })
    const userId = (created.body as { id: string }).id
    for (const serial of serials.slice(0, 4)) {
      const assigned = await adminCall(
        node(2).url,
        key,
        'PATCH',
        `/v1/users/${userId}/sidTokens/assign`,
        {
          tokenSerialNumber: serial,
        },
      )
      expect(assigned.status).toBe(200)
    }
    const replies = await Promise.all(
      serials.slice(4).map((serial, i) =>
        adminCall(node(i).url, key, 'PATCH', `/v1/users/${userId}/sidTokens/assign`, {
          tokenSerialNumber: serial,
        }),
      ),
    )
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409])
    const rows = await schema.query<{ held: number }>(
      'select count(*)::int as held from tokens where assigned_user_id = $1',
      [userId],
    )
    expect(rows[0]?.held).toBe(5)
  })

  it('a key revoked on node 1 is refused (403) by nodes 2 and 3 on their next request', async () => {
    const created = await adminCall(node(0).url, key, 'POST', '/v1/apikeys', {
      role: 'HELP_DESK_ADMIN',
    })
    expect(created.status).toBe(201)
    const second = created.body as ApiKeyFile
    const probe = (n: Node) =>
      adminCall(n.url, second, 'POST', '/v1/users/lookup', { email: 'nobody@example.com' })
    // Each node has seen the key in use (anything it might cache, it has).
    for (const n of nodes) expect((await probe(n)).status).toBe(404)
    const revoked = await adminCall(node(0).url, key, 'DELETE', `/v1/apikeys/${second.accessID}`)
    expect(revoked.status).toBe(200)
    for (const n of [node(1), node(2)]) {
      const refused = await probe(n)
      expect(refused.status).toBe(403)
      expect(refused.body).toMatchObject({ status: 403, error: 'Forbidden' })
    }
  })

  it('Authentication API: an attempt started on one node goes on on another; wrong codes sent to every node lock after exactly 3; a revoked agent key is refused by every node', async () => {
    const email = `authn-${hex(3)}@example.com`
    const created = await adminCall(node(0).url, key, 'POST', '/v1/users', { emailAddress: email })
    const userId = (created.body as { id: string }).id
    const totp = await adminCall(
      node(1).url,
      key,
      'POST',
      `/v1/users/${userId}/authenticators/totp`,
    )
    expect(totp.status).toBe(201)
    const seed = decodeBase32((totp.body as { secret: string }).secret) as Uint8Array
    const agentKey = await adminCall(node(2).url, key, 'POST', '/v1/agentkeys', {})
    expect(agentKey.status).toBe(201)
    const { clientKey, clientKeyId } = agentKey.body as { clientKey: string; clientKeyId: string }
    const mfa = async (n: Node, path: string, body: unknown) => {
      const response = await fetch(`${n.url}/mfa/v1_1${path}`, {
        method: 'POST',
        headers: { 'client-key': clientKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      })
      return { status: response.status, body: (await response.json()) as unknown }
    }
    const credential = (value: string) => [
      { methodId: 'TOKEN', collectedInputs: [{ name: 'TOKEN', value }] },
    ]

    const started = await mfa(node(0), '/authn/initialize', {
      subjectName: email,
      context: { messageId: 'm1' },
    })
    expect(started.body).toMatchObject({ attemptResponseCode: 'CHALLENGE' })
    const { context } = started.body as { context: { authnAttemptId: string; messageId: string } }
    const verified = await mfa(node(1), '/authn/verify', {
      subjectCredentials: credential(hotp(seed, totpStep(Date.now(), 30), 6)),
      context: {
        authnAttemptId: context.authnAttemptId,
        messageId: 'm2',
        inResponseTo: context.messageId,
      },
    })
    expect(verified.body).toMatchObject({
      attemptResponseCode: 'SUCCESS',
      attemptReasonCode: 'CREDENTIAL_VERIFIED',
    })

    // A value no step near now gives, sent single-step 12 times in parallel across the nodes.
    const step = totpStep(Date.now(), 30)
    const near = new Set([-2, -1, 0, 1, 2].map((d) => hotp(seed, step + d, 6)))
    const wrong = ['000000', '111111', '222222', '333333', '444444', '555555'].find(
      (v) => !near.has(v),
    ) as string
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        mfa(node(i), '/authn/initialize', {
          subjectName: email,
          context: { messageId: `w${i}` },
          subjectCredentials: credential(wrong),
        }),
      ),
    )
    const reasons = answers.map((a) => (a.body as { attemptReasonCode: string }).attemptReasonCode)
    expect(reasons.filter((r) => r === 'VERIFY_ERROR')).toHaveLength(3)
    expect(reasons.filter((r) => r === 'METHOD_LOCKED')).toHaveLength(9)
    const details = await adminCall(node(2).url, key, 'POST', '/v1/users/lookup', { email })
    expect(details.body).toMatchObject({ isTokenLocked: true })

    const revoked = await adminCall(node(0).url, key, 'DELETE', `/v1/agentkeys/${clientKeyId}`)
    expect(revoked.status).toBe(200)
    for (const n of [node(1), node(2)]) {
      const refused = await mfa(n, '/authn/initialize', {
        subjectName: email,
        context: { messageId: 'r' },
      })
      expect(refused).toEqual({
        status: 401,
        body: { code: '401 UNAUTHORIZED', description: 'Invalid client-key.' },
      })
    }
  })

  it('settings changed on node 1 apply on nodes 2 and 3 at once, and the limit is shared', async () => {
    // Nodes 2 and 3 cache the company's settings (default limit: burst 100).
    for (const n of [node(1), node(2)]) {
      const before = await adminCall(n.url, key, 'GET', '/v1/company/settings')
      expect(before.headers.get('ratelimit-limit')).toBe('100')
    }
    const RATE = 5
    const BURST = 5
    const changed = await adminCall(node(0).url, key, 'PUT', '/v1/company/settings', {
      rateLimit: { requestsPerSecond: RATE, burst: BURST },
    })
    expect(changed.status).toBe(200)
    // The invalidation travels through Redis pub/sub: well within the 5 s cache lifetime.
    const applied = await eventually(
      async () => {
        const limits = await Promise.all(
          [node(1), node(2)].map(async (n) =>
            (await adminCall(n.url, key, 'GET', '/v1/company/settings')).headers.get(
              'ratelimit-limit',
            ),
          ),
        )
        return limits.every((limit) => limit === String(BURST))
      },
      1_000,
      50,
    )
    expect(applied).toBe(true)

    // Refill, then twice the rate for ~3 s, round robin: each node alone sees 10/3 ≈ 3.3
    // requests per second, under the limit: only a shared bucket refuses anything.
    await new Promise((resolve) => setTimeout(resolve, (BURST / RATE) * 1000 + 200))
    const started = Date.now()
    const outcomes: { node: string; status: number }[] = []
    const pending: Promise<void>[] = []
    for (let i = 0; i < 30; i += 1) {
      const n = node(i)
      pending.push(
        adminCall(n.url, key, 'GET', '/v1/company/settings').then((r) => {
          outcomes.push({ node: n.name, status: r.status })
        }),
      )
      await new Promise((resolve) => setTimeout(resolve, 1000 / (2 * RATE)))
    }
    await Promise.all(pending)
    const seconds = (Date.now() - started) / 1000
    const allowed = outcomes.filter((o) => o.status === 200).length
    const refused = outcomes.filter((o) => o.status === 429)
    // One bucket: at most the burst plus what refilled meanwhile (+1 for the refill in flight).
    const ceiling = BURST + Math.ceil(RATE * seconds) + 1
    console.info(
      `[scale-out] shared limit ${RATE}/s burst ${BURST}: ${outcomes.length} requests in ` +
        `${seconds.toFixed(2)} s over 3 nodes → ${allowed} allowed (ceiling ${ceiling}), ` +
        `${refused.length} refused with 429 (per node: ${['n1', 'n2', 'n3']
          .map((name) => `${name} ${refused.filter((o) => o.node === name).length}`)
          .join(', ')})`,
    )
    expect(allowed + refused.length).toBe(30)
    expect(allowed).toBeLessThanOrEqual(ceiling)
    expect(allowed).toBeGreaterThanOrEqual(BURST + Math.floor(RATE * seconds) - 3)
    // Every node refused some: none of them could have on its own.
    for (const name of ['n1', 'n2', 'n3']) {
      expect(refused.some((o) => o.node === name)).toBe(true)
    }
  })

  it('SIGTERM: /health/ready fails first, then the node finishes and exits 0', async () => {
    const last = nodes[2] as Node
    last.process.kill('SIGTERM')
    const draining = await eventually(
      async () => (await readiness(last.url)).status === 503,
      500,
      20,
    )
    expect(draining).toBe(true)
    expect(await readiness(last.url)).toEqual({
      status: 503,
      body: {
        status: 'unavailable',
        checks: { storage: 'ok', redis: 'ok', server: 'shutting down' },
      },
    })
    // Still serving meanwhile: the load balancer has not noticed yet.
    const lookup = await adminCall(last.url, key, 'GET', '/v1/company/settings')
    expect([200, 429]).toContain(lookup.status)
    const code = await Promise.race([
      last.exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ])
    expect(code).toBe(0)
    expect(last.logs.some((line) => line.includes('"msg":"stopped"'))).toBe(true)
  })
})

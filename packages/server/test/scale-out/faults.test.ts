import type { ApiKeyFile } from '@tokendesk/core'
import { DomainError } from '@tokendesk/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { type RunningServer, startServer } from '../../src/main.js'
import { capturingLogger } from '../helpers.js'
import {
  adminCall,
  freePort,
  freshSchema,
  hex,
  PUBLIC_URL,
  privateRedis,
  type RedisServer,
  type Reply,
  readiness,
  type TcpProxy,
  TEST_DATABASE_URL,
  type TestSchema,
  tcpProxy,
  withSchema,
} from './cluster.js'

/**
 * Faults of the scale-out topology (issue 5): Redis stopping and returning under running nodes,
 * PostgreSQL refusing or never answering, and recovery without a restart. The nodes run
 * in-process (`startServer`, what `tokendesk serve` runs) so that their logs can be read.
 */
const skipReason =
  TEST_DATABASE_URL === undefined
    ? 'TOKENDESK_TEST_DATABASE_URL is unset (e.g. postgres://postgres@127.0.0.1:5432/test)'
    : undefined
if (skipReason) console.warn(`\n*** SKIPPED scale-out/faults.test.ts: ${skipReason} ***\n`)
const suite = skipReason ? describe.skip : describe

const SECRET_KEY = Buffer.from(hex(32), 'hex').toString('base64')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const WARN = 40

const startNode = async (env: Record<string, string>) => {
  const { logger, lines } = capturingLogger()
  const config = loadConfig({
    env: { TOKENDESK_PUBLIC_URL: PUBLIC_URL, TOKENDESK_SECRET_KEY: SECRET_KEY, ...env },
    overrides: { host: '127.0.0.1', port: 0 },
  })
  const server = await startServer(config, { logger, closeTimeoutMs: 5_000 })
  return { server, lines }
}

const superAdminOf = async (server: RunningServer, name: string): Promise<ApiKeyFile> => {
  const { services } = server.runtime
  const company = await services.companies.create(name)
  const ctx = {
    companyId: company.id,
    actor: { type: 'cli' as const, id: null, role: null },
    requestId: null,
    sourceIp: null,
  }
  return (await services.apiKeys.create(ctx, { role: 'SUPER_ADMIN', description: null })).file
}

suite('Redis stops and returns under two running nodes', () => {
  const RATE = 5
  const BURST = 5
  let redis: RedisServer
  let schema: TestSchema
  let nodes: Awaited<ReturnType<typeof startNode>>[] = []
  let key: ApiKeyFile

  beforeAll(async () => {
    redis = await privateRedis()
    schema = freshSchema(TEST_DATABASE_URL as string)
    const env = {
      TOKENDESK_DATABASE_URL: schema.url,
      TOKENDESK_REDIS_URL: redis.url,
      TOKENDESK_DATABASE_POOL_SIZE: '4',
    }
    nodes.push(await startNode(env))
    nodes.push(await startNode(env))
    key = await superAdminOf((nodes[0] as (typeof nodes)[0]).server, `Faults ${hex(3)}`)
    const set = await adminCall(
      nodes[0]?.server.url as string,
      key,
      'PUT',
      '/v1/company/settings',
      {
        rateLimit: { requestsPerSecond: RATE, burst: BURST },
      },
    )
    expect(set.status).toBe(200)
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.server.close().catch(() => {})))
    nodes = []
    await schema?.drop()
    await redis?.stop()
  })

  /** `count` requests one after the other, alternating nodes, from full buckets. */
  const burst = async (count: number) => {
    await sleep((BURST / RATE) * 1000 + 200)
    const started = Date.now()
    const replies: Reply[] = []
    for (let i = 0; i < count; i += 1) {
      const node = nodes[i % nodes.length]?.server as RunningServer
      replies.push(await adminCall(node.url, key, 'GET', '/v1/company/settings'))
    }
    const seconds = (Date.now() - started) / 1000
    const allowed = replies.filter((r) => r.status === 200).length
    return {
      replies,
      allowed,
      seconds,
      /** What one shared bucket can allow in that time. */
      sharedCeiling: BURST + Math.ceil(RATE * seconds) + 1,
      slowestMs: Math.max(...replies.map((r) => r.ms)),
    }
  }

  it('shares the bucket, falls back to per-process buckets while Redis is down, shares again after', async () => {
    const shared = await burst(16)
    expect(shared.allowed).toBeLessThanOrEqual(shared.sharedCeiling)
    expect(shared.allowed).toBeGreaterThanOrEqual(BURST)

    await redis.stop()
    const down = await burst(16)
    console.info(
      `[scale-out] Redis down: ${down.replies.length} requests over 2 nodes in ` +
        `${down.seconds.toFixed(2)} s → ${down.allowed} allowed (per-process buckets), slowest ` +
        `${down.slowestMs} ms`,
    )
    // Still serving: every answer is a 200 or a 429 of a per-process bucket, none waits on Redis.
    expect(down.replies.every((r) => r.status === 200 || r.status === 429)).toBe(true)
    expect(down.slowestMs).toBeLessThan(1_000)
    // Two full per-process buckets: more than one shared bucket could allow.
    expect(down.allowed).toBeGreaterThanOrEqual(2 * BURST)
    for (const node of nodes) {
      expect(await readiness(node.server.url)).toEqual({
        status: 200,
        body: {
          status: 'ok',
          checks: { storage: 'ok', redis: 'unavailable (using per-process rate limits)' },
        },
      })
      // Said once, not once per request.
      const warnings = node.lines.filter(
        (line) => line.level === WARN && line.msg.startsWith('Redis unavailable'),
      )
      expect(warnings).toHaveLength(1)
    }

    const restartedAt = Date.now()
    await redis.start()
    let back = false
    for (let i = 0; i < 100 && !back; i += 1) {
      const checks = await Promise.all(nodes.map((n) => readiness(n.server.url)))
      back = checks.every((c) => (c.body as { checks: { redis: string } }).checks.redis === 'ok')
      if (!back) await sleep(100)
    }
    expect(back).toBe(true)
    console.info(
      `[scale-out] Redis back: shared again ${Date.now() - restartedAt} ms after restart`,
    )
    const again = await burst(16)
    expect(again.allowed).toBeLessThanOrEqual(again.sharedCeiling)
    for (const node of nodes) {
      expect(node.lines.some((line) => line.msg.startsWith('Redis available again'))).toBe(true)
    }
  })
})

suite('PostgreSQL unreachable', () => {
  const CONNECT_TIMEOUT_MS = 1_000
  const STATEMENT_TIMEOUT_MS = 1_000
  let proxy: TcpProxy
  let schema: TestSchema
  let node: Awaited<ReturnType<typeof startNode>> | undefined
  let key: ApiKeyFile

  beforeAll(async () => {
    const target = new URL(TEST_DATABASE_URL as string)
    proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    schema = freshSchema(TEST_DATABASE_URL as string)
    const viaProxy = new URL(TEST_DATABASE_URL as string)
    viaProxy.host = `127.0.0.1:${proxy.port}`
    node = await startNode({
      TOKENDESK_DATABASE_URL: withSchema(viaProxy.toString(), schema.name),
      TOKENDESK_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      TOKENDESK_DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    })
    key = await superAdminOf(node.server, `Storage faults ${hex(3)}`)
  })

  afterAll(async () => {
    await node?.server.close().catch(() => {})
    await proxy?.close()
    await schema?.drop()
  })

  const unavailable = {
    code: '503 SERVICE_UNAVAILABLE',
    description: 'The service is temporarily unavailable.',
  }

  it('answers 503 with Retry-After within the timeout, then 200 again without a restart', async () => {
    const url = node?.server.url as string
    expect((await adminCall(url, key, 'GET', '/v1/company/settings')).status).toBe(200)
    // PostgreSQL without Redis: the operator is told that buckets are per process.
    expect(
      node?.lines.filter(
        (line) => line.level === WARN && line.msg.startsWith('TOKENDESK_REDIS_URL is not set'),
      ),
    ).toHaveLength(1)

    // A network partition: the pool's open connection stops answering. The server's
    // statement_timeout cannot help; the client-side bound (statement timeout + 1 s) does.
    proxy.setMode('freeze')
    const frozen = await adminCall(url, key, 'GET', '/v1/company/settings')
    expect(frozen.status).toBe(503)
    expect(frozen.body).toEqual(unavailable)
    expect(frozen.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1_000 + 2_000)
    proxy.setMode('forward')
    expect((await adminCall(url, key, 'GET', '/v1/company/settings')).status).toBe(200)

    // The server goes away: connections are cut and new ones refused.
    proxy.setMode('refuse')
    const refused = await adminCall(url, key, 'GET', '/v1/company/settings')
    expect(refused.status).toBe(503)
    expect(refused.body).toEqual(unavailable)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.ms).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000)
    const ready = await readiness(url)
    expect(ready).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { storage: 'unavailable' } },
    })

    // The server (or the network) hangs: connections are accepted and never answered.
    proxy.setMode('blackhole')
    const hung = await adminCall(url, key, 'POST', '/v1/users', {
      emailAddress: 'hung@example.com',
    })
    expect(hung.status).toBe(503)
    expect(hung.body).toEqual(unavailable)
    expect(hung.ms).toBeLessThan(CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 2_000)
    console.info(
      `[scale-out] PostgreSQL down: partition → 503 in ${frozen.ms} ms; refused → 503 in ` +
        `${refused.ms} ms; hung → 503 in ${hung.ms} ms ` +
        `(connect timeout ${CONNECT_TIMEOUT_MS} ms, statement timeout ${STATEMENT_TIMEOUT_MS} ms)`,
    )

    // It returns: the pool reconnects on the next request.
    proxy.setMode('forward')
    const returnedAt = Date.now()
    let recovered: Reply | undefined
    for (let i = 0; i < 50; i += 1) {
      recovered = await adminCall(url, key, 'GET', '/v1/company/settings')
      if (recovered.status === 200) break
      await sleep(100)
    }
    expect(recovered?.status).toBe(200)
    console.info(`[scale-out] PostgreSQL back: 200 again ${Date.now() - returnedAt} ms later`)
    expect((await readiness(url)).status).toBe(200)
    const created = await adminCall(url, key, 'POST', '/v1/users', {
      emailAddress: 'after@example.com',
    })
    expect(created.status).toBe(201)
  })

  it('a node pointed at a closed port fails to start within the connect timeout', async () => {
    const closed = await freePort()
    const base = new URL(TEST_DATABASE_URL as string)
    base.host = `127.0.0.1:${closed}`
    const started = Date.now()
    const failure = await startNode({
      TOKENDESK_DATABASE_URL: base.toString(),
      TOKENDESK_DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
    }).then(
      async (unexpected) => {
        await unexpected.server.close()
        return undefined
      },
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(DomainError)
    expect((failure as DomainError).code).toBe('STORAGE_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000)
  })
})

import { afterAll, describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from '../../src/http/rate-limiter.js'
import type { Coordination, Invalidation } from '../../src/scale-out/coordination.js'
import { createRedisCoordination } from '../../src/scale-out/redis-coordination.js'
import { eventually, hex, TEST_REDIS_URL } from './cluster.js'

/** The Redis side of scale-out on its own: the shared token bucket and the invalidations. */
const skipReason =
  TEST_REDIS_URL === undefined
    ? 'TOKENDESK_TEST_REDIS_URL is unset (e.g. redis://127.0.0.1:6379)'
    : undefined
if (skipReason) console.warn(`\n*** SKIPPED scale-out/coordination.test.ts: ${skipReason} ***\n`)
const suite = skipReason ? describe.skip : describe

suite('Redis coordination', () => {
  const opened: Coordination[] = []
  const open = (keyPrefix: string) => {
    const coordination = createRedisCoordination({
      url: TEST_REDIS_URL as string,
      keyPrefix,
      logger: false,
    })
    opened.push(coordination)
    return coordination
  }
  const openReady = async (keyPrefix: string) => {
    const coordination = open(keyPrefix)
    expect(await coordination.ready(5_000)).toBe(true)
    return coordination
  }
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()))
  })

  it('answers the same decisions as the in-process bucket, from one bucket for every node', async () => {
    const prefix = `tokendesk-test-${hex()}:`
    const [a, b] = [await openReady(prefix), await openReady(prefix)]
    const memory = createMemoryRateLimiter()
    // A slow refill (1 token per 100 s), so that the milliseconds between calls do not matter.
    const rule = { rate: 0.01, burst: 3 }
    const now = Date.now()
    const shared = [
      await a?.rateLimiter.consume('key:k', rule, now),
      await b?.rateLimiter.consume('key:k', rule, now),
      await a?.rateLimiter.consume('key:k', rule, now),
      await b?.rateLimiter.consume('key:k', rule, now),
    ]
    const local = []
    for (let i = 0; i < 4; i += 1) local.push(await memory.consume('key:k', rule, now))
    expect(shared).toEqual(local)
    expect(shared.map((d) => d?.allowed)).toEqual([true, true, true, false])
    expect(shared[3]).toMatchObject({ limit: 3, remaining: 0, retryAfterSeconds: 100 })
    // Another prefix (another deployment, another test file) has its own buckets.
    expect(
      (await open(`tokendesk-test-${hex()}:`).rateLimiter.consume('key:k', rule, now)).allowed,
    ).toBe(true)
  })

  it('delivers an invalidation published on one node to the others', async () => {
    const prefix = `tokendesk-test-${hex()}:`
    const [a, b, other] = [
      await openReady(prefix),
      await openReady(prefix),
      await openReady(`tokendesk-test-${hex()}:`),
    ]
    const seenByB: Invalidation[] = []
    const seenByOther: Invalidation[] = []
    b?.subscribe((event) => seenByB.push(event))
    other?.subscribe((event) => seenByOther.push(event))
    // The subscriptions are in place once a first message gets through.
    const delivered = await eventually(async () => {
      a?.publish({ type: 'api-key-revoked', accessId: 'probe' })
      await new Promise((resolve) => setTimeout(resolve, 50))
      return seenByB.length > 0
    }, 5_000)
    expect(delivered).toBe(true)
    seenByB.length = 0
    a?.publish({ type: 'company-settings', companyId: 'c-1' })
    expect(await eventually(async () => seenByB.length > 0, 2_000, 10)).toBe(true)
    expect(seenByB).toEqual([{ type: 'company-settings', companyId: 'c-1' }])
    expect(seenByOther).toEqual([])
  })
})

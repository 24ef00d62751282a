import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import {
  type BucketRule,
  createMemoryRateLimiter,
  decisionOf,
  type RateLimiter,
} from '../http/rate-limiter.js'
import { type Coordination, type Invalidation, parseInvalidation } from './coordination.js'

export const REDIS_DEGRADED = 'unavailable (using per-process rate limits)'

/**
 * One token-bucket step, atomically, in Redis (admin-api.md §5: `rate` tokens/s refill a bucket
 * of `burst`). The time is Redis's own (`TIME`), so nodes whose clocks drift still share one
 * bucket correctly. Returns `{allowed, tokens}`, tokens as a string (Lua numbers would be
 * truncated to integers on the way out).
 *
 * Why a script and not `rate-limiter-flexible`: its Redis limiters count fixed windows.
 * `BurstyRateLimiter` approximates burst + sustained with two of them, but it costs up to two
 * round trips per request, lets up to twice the limit through around a window edge, and its
 * remaining/reset figures mean something else than the in-process bucket's, so the
 * `RateLimit-*` headers would change meaning with the deployment. This script is the same
 * algorithm as `createMemoryRateLimiter`, one EVALSHA per request.
 */
const TAKE_TOKEN = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return { allowed, tostring(tokens) }
`

type TakeToken = (key: string, rate: number, burst: number) => Promise<[number, string]>

export interface RedisCoordinationOptions {
  url: string
  /** Prefix of every key and of the invalidation channel (default `tokendesk:`). */
  keyPrefix: string
  logger: Logger | false
  /** Bound on each command (default 250 ms): a slow Redis must not slow every request. */
  commandTimeoutMs?: number
}

const DEFAULT_COMMAND_TIMEOUT_MS = 250
const MAX_RECONNECT_DELAY_MS = 1_000

/**
 * Redis-backed coordination. Redis is an optimisation of fairness, never a dependency of
 * serving: when a command fails (Redis down, slow, restarting) the request is decided by the
 * per-process buckets, the outage is logged once (warn) and `check()` reports it; the first
 * command that succeeds again switches back (logged once, info). ioredis reconnects by itself;
 * commands fail at once while it is disconnected (no offline queue, no retries), so a request
 * never waits for Redis longer than `commandTimeoutMs`.
 */
export interface RedisCoordination extends Coordination {
  /**
   * Resolves true once both connections are up, false after `timeoutMs`: commands fail fast
   * while disconnected, so a node waits for this before serving (a Redis that is down at start
   * only degrades the node, as later).
   */
  ready(timeoutMs: number): Promise<boolean>
}

export const createRedisCoordination = (options: RedisCoordinationOptions): RedisCoordination => {
  const { keyPrefix, logger } = options
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  const retryStrategy = (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS)
  const commands = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    connectTimeout: 1_000,
    retryStrategy,
  })
  // The subscriber keeps its offline queue: SUBSCRIBE waits for the first connection, and
  // ioredis subscribes again after every reconnect (`autoResubscribe`).
  const subscriber = new Redis(options.url, {
    connectTimeout: 1_000,
    retryStrategy,
    maxRetriesPerRequest: null,
  })
  // Connection errors are reported through the fallback's single warning; unhandled `error`
  // events would be printed by ioredis on every reconnect attempt.
  commands.on('error', () => {})
  subscriber.on('error', () => {})
  commands.defineCommand('tokendeskTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN })
  const takeToken = (
    commands as unknown as { tokendeskTakeToken: TakeToken }
  ).tokendeskTakeToken.bind(commands)

  const fallback = createMemoryRateLimiter()
  let degraded = false
  const degrade = (error: unknown) => {
    if (degraded) return
    degraded = true
    if (logger) {
      logger.warn(
        { err: error },
        'Redis unavailable: rate limits fall back to per-process buckets until it returns',
      )
    }
  }
  const recover = () => {
    if (!degraded) return
    degraded = false
    if (logger) logger.info('Redis available again: rate limits are shared across nodes')
  }

  const rateLimiter: RateLimiter = {
    async consume(key: string, rule: BucketRule, now: number) {
      try {
        const [allowed, tokens] = await takeToken(
          `${keyPrefix}bucket:${key}`,
          rule.rate,
          rule.burst,
        )
        recover()
        return decisionOf(rule, Number(tokens), allowed === 1)
      } catch (error) {
        degrade(error)
        return fallback.consume(key, rule, now)
      }
    },
  }

  const channel = `${keyPrefix}invalidate`
  const listeners = new Set<(event: Invalidation) => void>()
  const deliver = (event: Invalidation) => {
    for (const listener of listeners) listener(event)
  }
  subscriber.subscribe(channel).catch(() => {})
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return
    const event = parseInvalidation(message)
    if (event) deliver(event)
  })
  // After a reconnect, invalidations published meanwhile were lost: drop everything cached.
  let subscribedOnce = false
  subscriber.on('ready', () => {
    if (subscribedOnce) deliver({ type: 'all' })
    subscribedOnce = true
  })

  const connected = (client: Redis) =>
    client.status === 'ready'
      ? Promise.resolve()
      : new Promise<void>((resolve) => client.once('ready', () => resolve()))
  const bothConnected = Promise.all([connected(commands), connected(subscriber)])

  let closing: Promise<void> | undefined
  return {
    async ready(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs)
      })
      const up = await Promise.race([bothConnected.then(() => true as const), timeout])
      clearTimeout(timer)
      return up
    },
    rateLimiter,
    publish(event) {
      // Local listeners at once; other nodes through Redis. If Redis is down, other nodes drop
      // their entries when their subscription comes back, and their caches expire anyway.
      deliver(event)
      commands.publish(channel, JSON.stringify(event)).catch((error: unknown) => degrade(error))
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async check() {
      try {
        await commands.ping()
        recover()
        return 'ok'
      } catch (error) {
        degrade(error)
        return REDIS_DEGRADED
      }
    },
    close() {
      closing ??= Promise.all([
        commands.quit().catch(() => commands.disconnect()),
        subscriber.quit().catch(() => subscriber.disconnect()),
      ]).then(() => undefined)
      return closing
    },
  }
}

import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { Clock } from '@tokendesk/core'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './app.js'
import { startAuditPurge } from './audit-purge.js'
import { bootstrapIfEmpty } from './bootstrap.js'
import { ConfigError } from './config/load.js'
import type { Config } from './config/schema.js'
import { createRuntime, type Runtime } from './runtime.js'
import { type Coordination, createLocalCoordination } from './scale-out/coordination.js'

/**
 * The server process, start to stop:
 * - the runtime opens the database (migrating it), then a first start on an empty SQLite
 *   database creates the `Default` company and its first key file (logged once: its path and
 *   accessID, never the private key);
 * - it listens on `config.host`/`config.port` (port 0 picks a free port; `port`/`url` report the
 *   bound one), over HTTPS when `tlsCert`/`tlsKey` are set;
 * - with `redisUrl`, rate-limit buckets and cache invalidations are shared through Redis
 *   (scale-out/coordination.ts); with PostgreSQL and no Redis, it warns that buckets are per
 *   process (several nodes would each allow the full rate);
 * - `close()` first makes `/health/ready` fail (for `shutdownDelayMs`, so that a load balancer
 *   notices and stops sending traffic), then stops accepting, lets in-flight requests finish,
 *   and closes the database and Redis. It is bounded (`closeTimeoutMs`): past the deadline open
 *   connections are cut, so it never hangs.
 */
export interface RunningServer {
  /** `<scheme>://<host>:<bound port>` (the listen address, not `publicUrl`). */
  url: string
  port: number
  runtime: Runtime
  app: FastifyInstance
  /** Idempotent; rejects only when the deadline passed or the database failed to close. */
  close(): Promise<void>
}

export interface StartServerOptions {
  /** The process logger (the CLI builds it, with redaction); `false` or absent: no logs. */
  logger?: Logger | false
  clock?: Clock
  /** Bound on `close()` (default 10 s). */
  closeTimeoutMs?: number
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000
/** How long a starting node waits for Redis before serving without it (degraded, not down). */
const REDIS_START_TIMEOUT_MS = 2_000

/**
 * Reads the TLS pair up front. `loadConfig` has already reported unreadable files with every
 * other problem; one that went away since (or a config built by hand) is still a configuration
 * error, not a crash.
 */
const readTls = (config: Config): { cert: Buffer; key: Buffer } | undefined => {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined
  const problems: string[] = []
  const read = (path: string, variable: string): Buffer => {
    try {
      return readFileSync(path)
    } catch (error) {
      problems.push(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`)
      return Buffer.alloc(0)
    }
  }
  const cert = read(config.tlsCert, 'TOKENDESK_TLS_CERT (tlsCert)')
  const key = read(config.tlsKey, 'TOKENDESK_TLS_KEY (tlsKey)')
  if (problems.length > 0) throw new ConfigError(problems)
  return { cert, key }
}

const urlOf = (scheme: 'http' | 'https', host: string, port: number): string =>
  `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`

/** Resolves with the work's outcome, or rejects once `deadline` (epoch ms) has passed. */
const before = <T>(deadline: number, work: Promise<T>, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish in time`)),
      Math.max(0, deadline - Date.now()),
    )
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

export const startServer = async (
  config: Config,
  options: StartServerOptions = {},
): Promise<RunningServer> => {
  const logger = options.logger ?? false
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS
  const https = readTls(config)
  const runtime = await createRuntime(config, options.clock ? { clock: options.clock } : {})
  let app: FastifyInstance | undefined
  let coordination: Coordination | undefined
  let draining = false
  try {
    const created = await bootstrapIfEmpty(runtime)
    if (created && logger) {
      logger.info(
        {
          keyFile: resolve(created.keyFilePath),
          accessId: created.accessId,
          companyId: created.companyId,
        },
        'first start: created company Default and a SUPER_ADMIN key file',
      )
    }
    if (config.redisUrl !== undefined) {
      // Loaded on demand: CLI commands that never serve do not pay for the Redis client.
      const { createRedisCoordination } = await import('./scale-out/redis-coordination.js')
      const redis = createRedisCoordination({
        url: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        logger,
      })
      coordination = redis
      if (!(await redis.ready(REDIS_START_TIMEOUT_MS)) && logger) {
        logger.warn('Redis is not reachable at start: serving with per-process rate limits')
      }
    } else {
      coordination = createLocalCoordination()
      if (runtime.store.engine === 'postgres' && logger) {
        logger.warn(
          'TOKENDESK_REDIS_URL is not set: rate-limit buckets are per process, so each node ' +
            'allows the full rate (set it when running several nodes)',
        )
      }
    }
    app = await buildApp(runtime, {
      logger,
      ...(https ? { https } : {}),
      ...(config.redisUrl !== undefined ? { coordination } : {}),
      draining: () => draining,
    })
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    await app?.close().catch(() => {})
    await coordination?.close().catch(() => {})
    await runtime.close().catch(() => {})
    throw error
  }
  const shared = coordination
  // Retention: expired audit events are deleted in bounded batches (docs/events.md).
  const purge = startAuditPurge(runtime, { logger })

  const port = (app.server.address() as AddressInfo).port
  const started = app
  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    // Readiness fails first; the listener stays open meanwhile, so that requests a load balancer
    // still sends before its next health check are served, not refused.
    draining = true
    if (config.shutdownDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs))
    }
    const deadline = Date.now() + closeTimeoutMs
    let failure: unknown
    try {
      await before(deadline, started.close(), 'closing the HTTP server')
    } catch (error) {
      // In-flight requests outlived the deadline: cut them, so that the database can close.
      started.server.closeAllConnections()
      failure = error
    }
    try {
      await before(deadline + 1000, purge.stop(), 'stopping the audit purge')
    } catch (error) {
      failure ??= error
    }
    try {
      await before(deadline + 1000, runtime.close(), 'closing the database')
    } catch (error) {
      failure ??= error
    }
    try {
      await before(deadline + 1000, shared.close(), 'closing Redis')
    } catch (error) {
      failure ??= error
    }
    if (failure !== undefined) throw failure
  }
  return {
    url: urlOf(https ? 'https' : 'http', config.host, port),
    port,
    runtime,
    app: started,
    close: () => {
      closing ??= close()
      return closing
    },
  }
}

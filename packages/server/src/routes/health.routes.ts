import type { Store } from '@tokendesk/core'
import type { App } from '../http/types.js'
import { HealthResponse } from '../schemas.js'

export interface ReadinessChecks {
  /** Redis, when configured: `ok` or why it is degraded. It never fails readiness: without it
   * the service still serves, with per-process rate limits. */
  redis?: () => Promise<string> | string
  /** Shutdown began: readiness fails first, so a load balancer stops sending new requests. */
  draining?: () => boolean
}

/**
 * Unauthenticated health checks: liveness (the process answers) and readiness (storage answers,
 * and the process is not shutting down; `checks` details each part).
 */
export const healthRoutes = (
  app: App,
  store: Pick<Store, 'ping'>,
  readiness: ReadinessChecks = {},
): void => {
  app.get(
    '/health/live',
    { schema: { tags: ['Health'], response: { 200: HealthResponse } } },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/health/ready',
    { schema: { tags: ['Health'], response: { 200: HealthResponse, 503: HealthResponse } } },
    async (request, reply) => {
      const checks: Record<string, string> = {}
      let ready = true
      try {
        await store.ping()
        checks.storage = 'ok'
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed')
        checks.storage = 'unavailable'
        ready = false
      }
      if (readiness.redis) checks.redis = await readiness.redis()
      if (readiness.draining?.()) {
        checks.server = 'shutting down'
        ready = false
      }
      if (ready) return { status: 'ok' as const, checks }
      return reply.code(503).send({ status: 'unavailable' as const, checks })
    },
  )
}

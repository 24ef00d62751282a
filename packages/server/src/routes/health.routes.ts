import type { Store } from '@tokendesk/core'
import type { App } from '../http/types.js'
import { HealthResponse } from '../schemas.js'

/** Unauthenticated health checks: liveness (the process answers) and readiness (storage answers). */
export const healthRoutes = (app: App, store: Pick<Store, 'ping'>): void => {
  app.get(
    '/health/live',
    { schema: { tags: ['Health'], response: { 200: HealthResponse } } },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/health/ready',
    { schema: { tags: ['Health'], response: { 200: HealthResponse, 503: HealthResponse } } },
    async (request, reply) => {
      try {
        await store.ping()
        return { status: 'ok' as const, checks: { storage: 'ok' } }
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed')
        return reply
          .code(503)
          .send({ status: 'unavailable' as const, checks: { storage: 'unavailable' } })
      }
    },
  )
}

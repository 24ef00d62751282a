import type { Services } from '@tokendesk/core'
import { type App, contextOf } from '../http/types.js'
import { ErrorBody, UnlockBody, UnlockResponse, UserIdParams } from '../schemas.js'

/** Unlock user tokencodes (admin-api.md §7.1; seed 003). */
export const methodRoutes = (app: App, services: Services): void => {
  app.patch(
    '/v1/users/:userId/methods',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Methods'],
        summary: "Unlock a user's tokencode methods",
        params: UserIdParams,
        body: UnlockBody,
        response: {
          200: UnlockResponse,
          400: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          500: UnlockResponse,
        },
      },
    },
    async (request) =>
      services.lockout.unlock(
        contextOf(request),
        request.params.userId,
        request.body.unlockMethods,
      ),
  )
}

import type { Services } from '@tokendesk/core'
import { type App, contextOf, iso, isoOrNull } from '../http/types.js'
import {
  AccessIdParams,
  ApiKeyCreateBody,
  ApiKeyFileResponse,
  ApiKeyListResponse,
  ApiKeyRevokeResponse,
  ErrorBody,
} from '../schemas.js'

/** [ext] Administration API keys (admin-api.md §10). Key material is returned once, at creation. */
export const apiKeyRoutes = (
  app: App,
  services: Services,
  onRevoked: (accessId: string) => void = () => {},
): void => {
  const tags = ['API keys']

  app.post(
    '/v1/apikeys',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags,
        summary: '[ext] Create an API key; answers its key file, once',
        body: ApiKeyCreateBody,
        response: { 201: ApiKeyFileResponse, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { file } = await services.apiKeys.create(contextOf(request), {
        role: request.body.role,
        description: request.body.description ?? null,
      })
      return reply.code(201).send(file)
    },
  )

  app.get(
    '/v1/apikeys',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags,
        summary: '[ext] List API keys (never key material)',
        response: { 200: ApiKeyListResponse, 403: ErrorBody },
      },
    },
    async (request) =>
      (await services.apiKeys.list(contextOf(request))).map((key) => ({
        accessID: key.accessId,
        role: key.role,
        description: key.description,
        createdAt: iso(key.createdAt),
        lastUsedAt: isoOrNull(key.lastUsedAt),
        revokedAt: isoOrNull(key.revokedAt),
      })),
  )

  app.delete(
    '/v1/apikeys/:accessID',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags,
        summary: '[ext] Revoke an API key; it is refused from the next request on',
        params: AccessIdParams,
        response: { 200: ApiKeyRevokeResponse, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const key = await services.apiKeys.revoke(contextOf(request), request.params.accessID)
      onRevoked(key.accessId)
      return { accessID: key.accessId, revokedAt: iso(key.revokedAt as number) }
    },
  )
}

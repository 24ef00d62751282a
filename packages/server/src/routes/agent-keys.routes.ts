import type { Services } from '@tokendesk/core'
import { type App, absentBodyIsEmpty, contextOf, iso, isoOrNull } from '../http/types.js'
import { readPskc } from '../pskc/pskc.js'
import {
  AgentKeyCreateBody,
  AgentKeyFileResponse,
  AgentKeyIdParams,
  AgentKeyListResponse,
  AgentKeyRevokeResponse,
  DryRunQuery,
  EmptyBody,
  ErrorBody,
  PskcImportBody,
  TokenImportResponse,
  TotpRegistrationResponse,
  UserIdParams,
} from '../schemas.js'

/**
 * [ext] Agent keys (the Authentication API's `client-key`, SUPER_ADMIN), PSKC token import and Authenticate OTP
 * registration (both roles). Secrets — the agent key, the TOTP seed — are in the response that
 * creates them and nowhere else.
 */
export const agentKeyRoutes = (app: App, services: Services): void => {
  const tags = ['Agent keys']

  app.post(
    '/v1/agentkeys',
    {
      config: { permission: 'superadmin' },
      // No body (or an empty one) is a key without description.
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: '[ext] Create an agent key (client-key); answers its key file, once',
        body: AgentKeyCreateBody,
        response: { 201: AgentKeyFileResponse, 400: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const { file } = await services.agentKeys.create(contextOf(request), {
        description: request.body?.description ?? null,
      })
      return reply.code(201).send(file)
    },
  )

  app.get(
    '/v1/agentkeys',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags,
        summary: '[ext] List agent keys (never the keys themselves)',
        response: { 200: AgentKeyListResponse, 403: ErrorBody },
      },
    },
    async (request) =>
      (await services.agentKeys.list(contextOf(request))).map((key) => ({
        clientKeyId: key.id,
        description: key.description,
        createdAt: iso(key.createdAt),
        revokedAt: isoOrNull(key.revokedAt),
      })),
  )

  app.delete(
    '/v1/agentkeys/:clientKeyId',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags,
        summary: '[ext] Revoke an agent key; it is refused from the next request on',
        params: AgentKeyIdParams,
        response: { 200: AgentKeyRevokeResponse, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const key = await services.agentKeys.revoke(contextOf(request), request.params.clientKeyId)
      return { clientKeyId: key.id, revokedAt: iso(key.revokedAt as number) }
    },
  )

  app.post(
    '/v1/users/:userId/authenticators/totp',
    {
      config: { permission: 'helpdesk' },
      // No body, or `{}` (admin-api.md §9); anything else is refused like any strict body.
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['Authenticators'],
        summary: '[ext] Register Authenticate OTP (TOTP); answers the otpauth:// URI once',
        params: UserIdParams,
        body: EmptyBody,
        response: { 201: TotpRegistrationResponse, 400: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const registration = await services.authenticators.registerTotp(
        contextOf(request),
        request.params.userId,
      )
      return reply.code(201).send({
        otpauthUri: registration.otpauthUri,
        secret: registration.secret,
        algorithm: registration.algorithm,
        digits: registration.digits,
        period: registration.period,
      })
    },
  )

  app.post(
    '/v1/sidTokens/import/pskc',
    {
      bodyLimit: 16 * 1024 * 1024,
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Hardware tokens'],
        summary: '[ext] Import hardware tokens from a PSKC (RFC 6030) document (all or nothing)',
        querystring: DryRunQuery,
        body: PskcImportBody,
        response: { 200: TokenImportResponse, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const items = readPskc(request.body.pskc, {
        preSharedKey: request.body.preSharedKey,
        password: request.body.password,
      })
      const result = await services.tokens.importTokens(contextOf(request), items, {
        dryRun: request.query.dryRun === 'true',
      })
      return result.dryRun
        ? { imported: 0 as const, wouldImport: result.wouldImport }
        : { imported: result.imported, tokenSerialNumbers: result.serials }
    },
  )
}

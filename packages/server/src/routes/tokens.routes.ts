import type { HardwareToken, Services } from '@tokendesk/core'
import { type App, contextOf, isoOrNull } from '../http/types.js'
import {
  DryRunQuery,
  ErrorBody,
  TokenAssignBody,
  TokenAssignResponse,
  TokenImportBody,
  TokenImportResponse,
  TokenSerialBody,
  TokenStatusResponse,
  UserIdParams,
} from '../schemas.js'

const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody }

const statusView = (userId: string, token: HardwareToken) => ({
  userId,
  tokenSerialNumber: token.serial,
  tokenStatus: token.status,
  tokenStatusChangedBy: token.statusChangedBy,
  tokenStatusChangedAt: isoOrNull(token.statusChangedAt),
})

/** Hardware tokens (admin-api.md §8, §10; seed 004). */
export const tokenRoutes = (app: App, services: Services): void => {
  app.patch(
    '/v1/users/:userId/sidTokens/enable',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: 'Enable a hardware token assigned to the user',
        params: UserIdParams,
        body: TokenSerialBody,
        response: { 200: TokenStatusResponse, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params
      const token = await services.tokens.enable(
        contextOf(request),
        userId,
        request.body.tokenSerialNumber,
      )
      return statusView(token.assignedUserId ?? userId, token)
    },
  )

  app.patch(
    '/v1/users/:userId/sidTokens/assign',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: 'Assign a hardware token to the user',
        params: UserIdParams,
        body: TokenAssignBody,
        response: { 200: TokenAssignResponse, ...errors },
      },
    },
    async (request) => {
      const { tokenSerialNumber, tokenName } = request.body
      const token = await services.tokens.assign(
        contextOf(request),
        request.params.userId,
        tokenSerialNumber,
        tokenName,
      )
      return {
        userId: token.assignedUserId ?? request.params.userId,
        tokenSerialNumber: token.serial,
        tokenName: token.name,
        tokenState: token.state,
        tokenStatus: token.status,
        assignedAt: isoOrNull(token.assignedAt),
        assignedBy: token.assignedBy,
      }
    },
  )

  app.post(
    '/v1/sidTokens/import',
    {
      bodyLimit: 16 * 1024 * 1024,
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Hardware tokens'],
        summary: '[ext] Import hardware tokens (all or nothing)',
        querystring: DryRunQuery,
        body: TokenImportBody,
        response: { 200: TokenImportResponse, ...errors },
      },
    },
    async (request) => {
      const result = await services.tokens.importTokens(contextOf(request), request.body.tokens, {
        dryRun: request.query.dryRun === 'true',
      })
      return result.dryRun
        ? { imported: 0 as const, wouldImport: result.wouldImport }
        : { imported: result.imported, tokenSerialNumbers: result.serials }
    },
  )
}

import type { HardwareToken, Services } from '@tokendesk/core'
import { type App, contextOf, isoOrNull } from '../http/types.js'
import {
  DevicesResponse,
  DryRunQuery,
  ErrorBody,
  TokenAssignBody,
  TokenAssignResponse,
  TokenClearPinResponse,
  TokenDeleteResponse,
  TokenImportBody,
  TokenImportResponse,
  TokenSerialBody,
  TokenStatusResponse,
  TokenUnassignResponse,
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
    '/v1/users/:userId/sidTokens/disable',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: 'Disable a hardware token assigned to the user',
        params: UserIdParams,
        body: TokenSerialBody,
        response: { 200: TokenStatusResponse, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params
      const token = await services.tokens.disable(
        contextOf(request),
        userId,
        request.body.tokenSerialNumber,
      )
      return statusView(token.assignedUserId ?? userId, token)
    },
  )

  app.patch(
    '/v1/users/:userId/sidTokens/unassign',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: 'Unassign a hardware token from the user (back to Unassigned and Disabled)',
        params: UserIdParams,
        body: TokenSerialBody,
        response: { 200: TokenUnassignResponse, ...errors },
      },
    },
    async (request) => {
      const token = await services.tokens.unassign(
        contextOf(request),
        request.params.userId,
        request.body.tokenSerialNumber,
      )
      return { tokenSerialNumber: token.serial, tokenState: 'Unassigned' as const }
    },
  )

  app.patch(
    '/v2/users/:userId/sidTokens/clearPin',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: "Clear the PIN of the user's hardware token",
        params: UserIdParams,
        body: TokenSerialBody,
        response: { 200: TokenClearPinResponse, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params
      const token = await services.tokens.clearPin(
        contextOf(request),
        userId,
        request.body.tokenSerialNumber,
      )
      return {
        userId: token.assignedUserId ?? userId,
        tokenSerialNumber: token.serial,
        pinSet: 'false' as const,
      }
    },
  )

  app.delete(
    '/v1/sidTokens/delete',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Hardware tokens'],
        summary: 'Delete a hardware token (SUPER_ADMIN only)',
        body: TokenSerialBody,
        response: { 200: TokenDeleteResponse, ...errors },
      },
    },
    async (request) => {
      const token = await services.tokens.remove(contextOf(request), request.body.tokenSerialNumber)
      return {
        tokenSerialNumber: token.serial,
        tokenName: token.name,
        tokenState: token.state,
        tokenStatus: token.status,
        userId: token.assignedUserId,
      }
    },
  )

  app.get(
    '/v2/users/:userId/devices',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Hardware tokens'],
        summary: "The user's authenticators (tokendesk has hardware tokens only)",
        params: UserIdParams,
        response: { 200: DevicesResponse, ...errors },
      },
    },
    async (request) => {
      const tokens = await services.tokens.listForUser(contextOf(request), request.params.userId)
      return {
        devices: [],
        fidoTokens: [],
        sidTokens: tokens.map((token) => ({
          id: token.id,
          name: token.name,
          userId: token.assignedUserId ?? request.params.userId,
          tokenSerialNumber: token.serial,
          tokenState: token.state,
          tokenStatus: token.status,
          assignedAt: isoOrNull(token.assignedAt),
          assignedBy: token.assignedBy,
          pinSet: token.pinSet ? ('true' as const) : ('false' as const),
          tokenStatusChangedAt: isoOrNull(token.statusChangedAt),
          tokenStatusChangedBy: token.statusChangedBy,
          expiryDate: null,
          tokenStatusReason: null,
        })),
      }
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

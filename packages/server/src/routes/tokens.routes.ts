import type { Static } from '@sinclair/typebox'
import {
  DomainError,
  type HardwareToken,
  type Services,
  type TokenImportItem,
} from '@tokendesk/core'
import { type App, contextOf, isoOrNull } from '../http/types.js'
import { PSKC_MEDIA_TYPE, pskcText, readPskc } from '../pskc/pskc.js'
import {
  DevicesResponse,
  DryRunQuery,
  ErrorBody,
  PskcDocument,
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

/** Import bodies can be large (100,000 tokens); every other body stays under 64 KiB. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024
/** The raw XML form cannot carry a document's key: the JSON form of the PSKC route can. */
const PSKC_KEY_HINT = ', with the document, as JSON to POST /v1/sidTokens/import/pskc'

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

  // The import route gets its own scope: only it parses application/pskc+xml.
  app.register(async (scope: App) => {
    scope.addContentTypeParser(
      PSKC_MEDIA_TYPE,
      { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT },
      (_request, body, done) => {
        try {
          done(null, pskcText(body as Buffer))
        } catch (error) {
          done(error as Error, undefined)
        }
      },
    )

    scope.post(
      '/v1/sidTokens/import',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        config: { permission: 'superadmin' },
        schema: {
          tags: ['Hardware tokens'],
          summary: '[ext] Import hardware tokens, as JSON or a PSKC document (all or nothing)',
          querystring: DryRunQuery,
          body: {
            content: {
              'application/json': { schema: TokenImportBody },
              [PSKC_MEDIA_TYPE]: { schema: PskcDocument },
            },
          },
          response: { 200: TokenImportResponse, ...errors, 413: ErrorBody, 415: ErrorBody },
        },
      },
      async (request) => {
        const result = await services.tokens.importTokens(
          contextOf(request),
          importItems(request.body),
          { dryRun: request.query.dryRun === 'true' },
        )
        return result.dryRun
          ? { imported: 0 as const, wouldImport: result.wouldImport }
          : { imported: result.imported, tokenSerialNumbers: result.serials }
      },
    )
  })
}

/**
 * The tokens of an import body, validated by its media type's schema: a PSKC document (the
 * parser's text) or the JSON object. Without a body no schema applies, hence the check.
 */
const importItems = (body: unknown): readonly TokenImportItem[] => {
  if (typeof body === 'string') return readPskc(body, { keyHint: PSKC_KEY_HINT })
  if (body === undefined) {
    throw new DomainError('VALIDATION_FAILED', {
      message: `Send the tokens as application/json or ${PSKC_MEDIA_TYPE}.`,
    })
  }
  return (body as Static<typeof TokenImportBody>).tokens
}

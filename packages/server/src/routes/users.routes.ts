import {
  DomainError,
  type ImportFormat,
  importFormatOf,
  parseUserImport,
  type Services,
  type UserDetails,
} from '@tokendesk/core'
import { type App, contextOf, iso, isoOrNull } from '../http/types.js'
import {
  CreateUserBody,
  DeleteUserResponse,
  DryRunQuery,
  ErrorBody,
  ImportErrorBody,
  LookupBody,
  SearchV1Body,
  SearchV1Query,
  SearchV1Response,
  SearchV2Body,
  SearchV2Query,
  SearchV2Response,
  UpdateUserBody,
  UserDetailsResponse,
  UserIdParams,
  UserImportResponse,
  UserStatusBody,
} from '../schemas.js'

/** Import files can be large (100,000 rows); every other body stays under 64 KiB. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** What the import parsers produce (a class, so that no JSON body can pass for one). */
class ImportFile {
  readonly format: ImportFormat
  readonly text: string
  constructor(format: ImportFormat, text: string) {
    this.format = format
    this.text = text
  }
}

/** A paging value from the query or the body; both is fine only if they agree. */
const pagingValue = (
  name: string,
  fromQuery: string | undefined,
  fromBody: number | undefined,
): number | undefined => {
  const query = fromQuery === undefined ? undefined : Number(fromQuery)
  if (query !== undefined && fromBody !== undefined && query !== fromBody) {
    throw new DomainError('VALIDATION_FAILED', {
      message: `${name} differs between the query (${query}) and the body (${fromBody}).`,
    })
  }
  return query ?? fromBody
}

/** The User Details object (admin-api.md §9, rsa-cas-api.md §6.1). */
export const userDetailsView = ({ user, locks, emergency }: UserDetails) => ({
  id: user.id,
  emailAddress: user.emailAddress,
  firstName: user.firstName,
  lastName: user.lastName,
  creationDate: iso(user.createdAt),
  identitySource: null,
  userStatus: user.userStatus,
  highRiskUser: false,
  markDeleted: false,
  markDeletedAt: null,
  markDeletedBy: null,
  ...locks,
  isFingerprintLocked: false,
  isApproveLocked: false,
  lastSyncTime: null,
  emergencyAccessStatus: emergency.status,
  emergencyTokencodeId: emergency.codeId,
  emergencyTokencodeExpiration: isoOrNull(emergency.expiresAt),
  emergencyTokencodeLastUse: isoOrNull(emergency.lastUsedAt),
  emergencyTokencodeOneTimeUse: emergency.oneTimeUse,
  offlineEmergencyTokencodeExpiration: isoOrNull(emergency.offlineExpiresAt),
  offlineEmergencyAccessStatus: emergency.offlineStatus,
  monthLastAuthenticated: null,
  lastSuccessfulAuthenticationMethod: null,
  lastSuccessfulAuthenticationDate: null,
  principalUsername: user.emailAddress,
  alternateUsername: null,
  primaryUniqueIdentifier: user.id,
  secondaryUniqueIdentifier: null,
  smsNumber: user.smsNumber,
  voiceNumber: user.voiceNumber,
  identitySourceSpecificGroups: [],
  globalGroups: [],
})

/** Users (admin-api.md §9). */
export const userRoutes = (app: App, services: Services): void => {
  app.post(
    '/v1/users/lookup',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Users'],
        summary: 'User Details: look a user up by email',
        body: LookupBody,
        response: { 200: UserDetailsResponse, 400: ErrorBody, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) =>
      userDetailsView(await services.users.lookup(contextOf(request), request.body.email)),
  )

  app.put(
    '/v1/users/:userId/userStatus',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Users'],
        summary: 'Enable or disable a user',
        params: UserIdParams,
        body: UserStatusBody,
        response: { 200: UserDetailsResponse, 400: ErrorBody, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) =>
      userDetailsView(
        await services.users.setStatus(
          contextOf(request),
          request.params.userId,
          request.body.userStatus,
        ),
      ),
  )

  app.post(
    '/v1/users/search',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Users'],
        summary: 'User Search: users whose email contains emailLike, sorted by email (one page)',
        querystring: SearchV1Query,
        body: SearchV1Body,
        response: { 200: SearchV1Response, 400: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const { pageSize } = request.query
      const page = await services.users.search(contextOf(request), {
        emailLike: request.body.emailLike,
        ...(pageSize !== undefined && { pageSize: Number(pageSize) }),
      })
      return page.elements.map(userDetailsView)
    },
  )

  app.post(
    '/v2/users/search',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Users'],
        summary: 'User Search v2: paged by zero-based pageNumber (or [ext] pageToken)',
        querystring: SearchV2Query,
        body: SearchV2Body,
        response: { 200: SearchV2Response, 400: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const { query, body } = request
      const pageSize = pagingValue('pageSize', query.pageSize, body.pageSize)
      const pageNumber = pagingValue('pageNumber', query.pageNumber, body.pageNumber)
      const page = await services.users.search(contextOf(request), {
        emailLike: body.emailLike,
        ...(pageSize !== undefined && { pageSize }),
        ...(pageNumber !== undefined && { pageNumber }),
        ...(body.pageToken !== undefined && { pageToken: body.pageToken }),
      })
      return {
        totalPages: page.totalPages,
        totalElements: page.totalElements,
        pageSize: page.pageSize,
        currentPage: page.currentPage,
        nextPageToken: page.nextPageToken,
        elements: page.elements.map(userDetailsView),
      }
    },
  )

  app.patch(
    '/v1/users/:userId',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Users'],
        summary: '[ext] Change names and phone numbers (null clears one)',
        params: UserIdParams,
        body: UpdateUserBody,
        response: {
          200: UserDetailsResponse,
          400: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request) => {
      const { firstName, lastName, smsNumber, voiceNumber } = request.body
      return userDetailsView(
        await services.users.update(contextOf(request), request.params.userId, {
          ...(firstName !== undefined && { firstName }),
          ...(lastName !== undefined && { lastName }),
          ...(smsNumber !== undefined && { smsNumber }),
          ...(voiceNumber !== undefined && { voiceNumber }),
        }),
      )
    },
  )

  app.delete(
    '/v1/users/:userId',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Users'],
        summary: '[ext] Delete a user: revokes their codes, unassigns their tokens',
        params: UserIdParams,
        response: { 200: DeleteUserResponse, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const deleted = await services.users.remove(contextOf(request), request.params.userId)
      return { ...deleted, deletedAt: iso(deleted.deletedAt) }
    },
  )

  // The import route gets its own scope: only it parses text/csv and application/x-ndjson.
  app.register(async (scope: App) => {
    for (const type of ['text/csv', 'application/x-ndjson'] as const) {
      scope.addContentTypeParser(
        type,
        { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT },
        (_request, body, done) => {
          try {
            const format = type === 'text/csv' ? 'csv' : 'ndjson'
            done(null, new ImportFile(format, utf8.decode(body as Buffer)))
          } catch {
            done(
              new DomainError('VALIDATION_FAILED', { message: 'The file is not UTF-8 text.' }),
              undefined,
            )
          }
        },
      )
    }

    scope.post(
      '/v1/users/import',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        config: { permission: 'superadmin' },
        schema: {
          tags: ['Users'],
          summary: '[ext] Import users from CSV or NDJSON (all or nothing)',
          consumes: ['text/csv', 'application/x-ndjson'],
          querystring: DryRunQuery,
          response: {
            200: UserImportResponse,
            400: ImportErrorBody,
            403: ErrorBody,
            409: ErrorBody,
            413: ErrorBody,
            415: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      async (request) => {
        const file = importFile(request.body, request.headers['content-type'])
        const result = await services.users.importUsers(
          contextOf(request),
          parseUserImport(file.text, file.format),
          { dryRun: request.query.dryRun === 'true' },
        )
        return result.dryRun
          ? { imported: 0 as const, wouldImport: result.wouldImport }
          : { imported: result.imported }
      },
    )
  })

  app.post(
    '/v1/users',
    {
      config: { permission: 'superadmin' },
      schema: {
        tags: ['Users'],
        summary: '[ext] Create a user',
        body: CreateUserBody,
        response: {
          201: UserDetailsResponse,
          400: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { emailAddress, firstName, lastName, userStatus, smsNumber, voiceNumber } = request.body
      const details = await services.users.create(contextOf(request), {
        emailAddress,
        ...(firstName !== undefined && { firstName }),
        ...(lastName !== undefined && { lastName }),
        ...(userStatus !== undefined && { userStatus }),
        ...(smsNumber !== undefined && { smsNumber }),
        ...(voiceNumber !== undefined && { voiceNumber }),
      })
      return reply.code(201).send(userDetailsView(details))
    },
  )
}

/** The parsed import file; an empty body of an import type is an empty file. */
const importFile = (body: unknown, contentType: string | undefined): ImportFile => {
  if (body instanceof ImportFile) return body
  const format = body === undefined ? importFormatOf(contentType ?? '') : undefined
  if (format) return new ImportFile(format, '')
  throw new DomainError('UNSUPPORTED_MEDIA_TYPE', {
    message: 'Send the file as text/csv or application/x-ndjson.',
  })
}

import type { Services, UserDetails } from '@tokendesk/core'
import { type App, contextOf, iso, isoOrNull } from '../http/types.js'
import {
  CreateUserBody,
  ErrorBody,
  LookupBody,
  UserDetailsResponse,
  UserIdParams,
  UserStatusBody,
} from '../schemas.js'

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

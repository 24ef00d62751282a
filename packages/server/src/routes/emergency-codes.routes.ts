import type { Services } from '@tokendesk/core'
import { type App, absentBodyIsEmpty, contextOf, iso, isoOrNull } from '../http/types.js'
import {
  EacDeleteParams,
  EacDeleteResponse,
  EacV1Body,
  EacV1Response,
  EacV2Body,
  EacV2Response,
  ErrorBody,
  UserIdParams,
} from '../schemas.js'

const errors = { 400: ErrorBody, 404: ErrorBody, 429: ErrorBody }

/**
 * Emergency tokencodes (admin-api.md §6; seeds 000–002). No body (or an empty one) is an empty
 * request: the company defaults apply (docs/api.md).
 */
export const emergencyCodeRoutes = (app: App, services: Services): void => {
  app.put(
    '/v1/users/:userId/emergencyTokencode',
    {
      config: { permission: 'helpdesk', invalidBody: 'INVALID_EXPIRATION' },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['Emergency tokencodes'],
        summary: 'Enable an emergency tokencode (v1)',
        params: UserIdParams,
        body: EacV1Body,
        response: { 200: EacV1Response, ...errors },
      },
    },
    async (request) => {
      const issued = await services.emergencyCodes.enableV1(
        contextOf(request),
        request.params.userId,
        request.body?.expirationDays,
      )
      return {
        emergencyTokencodeId: issued.id,
        emergencyTokencode: issued.code,
        expirationDate: iso(issued.expiresAt),
        offlineExpirationDate: isoOrNull(issued.offlineExpiresAt),
      }
    },
  )

  app.put(
    '/v2/users/:userId/emergencyTokencode',
    {
      config: { permission: 'helpdesk', invalidBody: 'INVALID_EXPIRATION' },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['Emergency tokencodes'],
        summary: 'Enable an emergency tokencode (v2)',
        params: UserIdParams,
        body: EacV2Body,
        response: { 200: EacV2Response, ...errors },
      },
    },
    async (request) => {
      const body = request.body ?? {}
      const issued = await services.emergencyCodes.enableV2(
        contextOf(request),
        request.params.userId,
        {
          ...(body.oneTimeUse !== undefined && { oneTimeUse: body.oneTimeUse }),
          ...(body.expiryUnit !== undefined && { expiryUnit: body.expiryUnit }),
          ...(body.expiryValue !== undefined && { expiryValue: body.expiryValue }),
        },
      )
      return {
        emergencyTokencodeId: issued.id,
        emergencyTokencode: issued.code,
        expirationDate: iso(issued.expiresAt),
        offlineExpirationDate: isoOrNull(issued.offlineExpiresAt),
        oneTimeUse: issued.terms.oneTimeUse,
        configurationsLocked: issued.configurationsLocked,
        configurationsUsed: {
          expiryValue: issued.terms.expiryValue,
          expiryUnit: issued.terms.expiryUnit,
          oneTimeUse: issued.terms.oneTimeUse,
        },
      }
    },
  )

  app.delete(
    '/v1/users/:userId/emergencyTokencode/:eacId',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Emergency tokencodes'],
        summary: 'Disable the emergency tokencodes of a user',
        params: EacDeleteParams,
        response: { 200: EacDeleteResponse, 404: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const result = await services.emergencyCodes.disable(
        contextOf(request),
        request.params.userId,
        request.params.eacId,
      )
      return {
        userId: result.userId,
        emergencyAccessStatus: 'Disabled' as const,
        offlineEmergencyAccessStatus: result.offlineStatus,
        offlineEmergencyTokencodeExpiration: isoOrNull(result.offlineExpiresAt),
      }
    },
  )
}

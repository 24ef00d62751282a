import { audit, type Deps, type OperationContext } from './context.js'
import {
  type EmergencyCodeTerms,
  generateCode,
  normalizeCode,
  offlineExpiry,
  termsV1,
  termsV2,
  type V2Request,
} from './emergency-codes.js'
import { DomainError } from './errors.js'
import type { EmergencyAccessCodeSettings } from './settings.js'
import { type AccessStatus, emergencyAccessView } from './user-details.js'
import { requireUser } from './user-service.js'

export interface IssuedEmergencyCode {
  id: string
  /** The code in clear: returned once, in the response that creates it, and nowhere else. */
  code: string
  expiresAt: number
  offlineExpiresAt: number | null
  terms: EmergencyCodeTerms
  configurationsLocked: boolean
}

export interface DisabledEmergencyAccess {
  userId: string
  offlineStatus: AccessStatus
  offlineExpiresAt: number | null
}

/** Keyed hash of an emergency code, bound to its user so equal codes never hash alike. */
export const emergencyCodeHash = (secrets: Deps['secrets'], userId: string, code: string): string =>
  secrets.hash('eac', `${userId}:${normalizeCode(code)}`)

/**
 * Emergency tokencodes (admin-api.md §6): one active online code per user (a new one revokes
 * the previous), disabled users get none, and the code is only ever stored as a keyed hash.
 * The user row is locked for the transaction so that parallel enables leave exactly one code.
 */
export const createEmergencyCodeService = (
  deps: Pick<Deps, 'store' | 'clock' | 'random' | 'secrets'>,
) => {
  const { store, clock, random, secrets } = deps

  const issue = async (
    ctx: OperationContext,
    userId: string,
    chooseTerms: (settings: EmergencyAccessCodeSettings) => EmergencyCodeTerms,
  ): Promise<IssuedEmergencyCode> => {
    const company = await store.read.companies.findById(ctx.companyId)
    if (!company) throw new DomainError('COMPANY_NOT_FOUND')
    const settings = company.settings.emergencyAccessCode
    const terms = chooseTerms(settings)
    const code = generateCode(random, settings.length, settings.alphabet)
    return store.transaction(async (tx) => {
      const user = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
      if (user.userStatus !== 'Enabled') throw new DomainError('USER_DISABLED')
      const now = clock.now()
      const id = random.uuid()
      const expiresAt = now + terms.validityMs
      const offlineExpiresAt = offlineExpiry(settings, now)
      await tx.emergencyCodes.revokeActive(ctx.companyId, user.id, now)
      await tx.emergencyCodes.insert({
        id,
        companyId: ctx.companyId,
        userId: user.id,
        codeHash: emergencyCodeHash(secrets, user.id, code),
        issuedAt: now,
        expiresAt,
        offlineExpiresAt,
        oneTimeUse: terms.oneTimeUse,
        revokedAt: null,
        lastUsedAt: null,
      })
      await audit(tx, ctx, now, {
        action: 'emergency_code.enabled',
        targetType: 'user',
        targetId: user.id,
        details: {
          emergencyTokencodeId: id,
          expiryValue: terms.expiryValue,
          expiryUnit: terms.expiryUnit,
          oneTimeUse: terms.oneTimeUse,
          configurationsLocked: settings.locked,
        },
      })
      return {
        id,
        code,
        expiresAt,
        offlineExpiresAt,
        terms,
        configurationsLocked: settings.locked,
      }
    })
  }

  return {
    /** `PUT /v1/users/{id}/emergencyTokencode`: `expirationDays` as sent (string or integer). */
    enableV1: (ctx: OperationContext, userId: string, expirationDays: unknown) =>
      issue(ctx, userId, (settings) => termsV1(settings, expirationDays)),

    /** `PUT /v2/users/{id}/emergencyTokencode`. */
    enableV2: (ctx: OperationContext, userId: string, request: V2Request) =>
      issue(ctx, userId, (settings) => termsV2(settings, request)),

    /**
     * `DELETE /v1/users/{id}/emergencyTokencode/{eacId}`: revokes every online code of the
     * user, whatever `eacId` names (the documented behaviour); offline validity is untouched.
     */
    async disable(
      ctx: OperationContext,
      userId: string,
      eacId: string,
    ): Promise<DisabledEmergencyAccess> {
      return store.transaction(async (tx) => {
        const user = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        const now = clock.now()
        const revoked = await tx.emergencyCodes.revokeActive(ctx.companyId, user.id, now)
        if (revoked > 0) {
          await audit(tx, ctx, now, {
            action: 'emergency_code.disabled',
            targetType: 'user',
            targetId: user.id,
            details: { eacId, revoked },
          })
        }
        const view = emergencyAccessView(
          await tx.emergencyCodes.findLatest(ctx.companyId, user.id),
          now,
        )
        return {
          userId: user.id,
          offlineStatus: view.offlineStatus,
          offlineExpiresAt: view.offlineExpiresAt,
        }
      })
    },
  }
}

export type EmergencyCodeService = ReturnType<typeof createEmergencyCodeService>

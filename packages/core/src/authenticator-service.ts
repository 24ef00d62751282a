import { TOTP_DIGITS, TOTP_PERIOD_S, totpSeedAad } from './authn.js'
import { encodeBase32 } from './base32.js'
import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError } from './errors.js'
import { requireUser } from './user-service.js'

export interface TotpRegistration {
  userId: string
  authenticatorId: string
  /** `otpauth://totp/…` with the seed: returned once, in this response, and nowhere else. */
  otpauthUri: string
  /** The seed, base32 without padding (the same as in `otpauthUri`). */
  secret: string
  algorithm: 'SHA1'
  digits: number
  period: number
  registeredAt: number
}

const SEED_BYTES = 20
const ISSUER = 'tokendesk'

/**
 * Authenticate OTP registration (`POST /v1/users/{id}/authenticators/totp` [ext]): a fresh
 * 160-bit seed (RFC 4226 §4 recommends 160 bits), stored encrypted; registering again replaces
 * the previous authenticator. Only enabled users can register.
 */
export const createAuthenticatorService = (
  deps: Pick<Deps, 'store' | 'clock' | 'random' | 'secrets'>,
) => {
  const { store, clock, random, secrets } = deps

  return {
    async registerTotp(ctx: OperationContext, userId: string): Promise<TotpRegistration> {
      const seed = random.bytes(SEED_BYTES)
      return store.transaction(async (tx) => {
        const user = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        if (user.userStatus !== 'Enabled') throw new DomainError('USER_DISABLED')
        const company = await tx.companies.findById(ctx.companyId)
        const now = clock.now()
        const id = random.uuid()
        await tx.totpAuthenticators.replace({
          id,
          companyId: ctx.companyId,
          userId: user.id,
          createdAt: now,
          lastUsedStep: null,
          seedCiphertext: secrets.encrypt(seed, totpSeedAad(ctx.companyId, user.id)),
        })
        await audit(tx, ctx, now, {
          action: 'authenticator.totp_registered',
          targetType: 'user',
          targetId: user.id,
          details: { authenticatorId: id },
        })
        // Key URI format (Google Authenticator wiki): label "issuer:account", issuer repeated.
        const issuer = company ? `${ISSUER} ${company.name}` : ISSUER
        const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(user.emailAddress)}`
        const secret = encodeBase32(seed).replace(/=+$/, '')
        const query = new URLSearchParams({
          secret,
          issuer,
          algorithm: 'SHA1',
          digits: String(TOTP_DIGITS),
          period: String(TOTP_PERIOD_S),
        })
        return {
          userId: user.id,
          authenticatorId: id,
          otpauthUri: `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`,
          secret,
          algorithm: 'SHA1' as const,
          digits: TOTP_DIGITS,
          period: TOTP_PERIOD_S,
          registeredAt: now,
        }
      })
    },
  }
}

export type AuthenticatorService = ReturnType<typeof createAuthenticatorService>

import { decodeBase32 } from './base32.js'
import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError, tokenNotFound } from './errors.js'
import {
  type HardwareToken,
  MAX_SERIAL_LENGTH,
  MAX_TOKENS_PER_USER,
  type NewHardwareToken,
  seedAad,
  type TokenStatus,
} from './tokens.js'
import { requireUser } from './user-service.js'

export interface TokenImportItem {
  tokenSerialNumber: string
  /** Base32 (RFC 4648) seed. */
  secret: string
  algorithm?: 'TOTP'
  digits?: 6 | 8
  period?: number
}

export type TokenImportResult =
  | { dryRun: false; imported: number; serials: string[] }
  | { dryRun: true; wouldImport: number; serials: string[] }

const invalid = (message: string) => new DomainError('VALIDATION_FAILED', { message })

/**
 * Hardware tokens (admin-api.md §8). Import is all-or-nothing; assignment keeps the 5-token
 * limit under concurrency by locking the user row; enable/disable change only the status of a
 * token assigned to this very user and are idempotent (the original change time stays).
 */
export const createTokenService = (deps: Pick<Deps, 'store' | 'clock' | 'random' | 'secrets'>) => {
  const { store, clock, random, secrets } = deps

  /** Finds user and token, and checks the token is assigned to that user. */
  const requireOwnedToken = async (
    tx: Parameters<Parameters<typeof store.transaction>[0]>[0],
    ctx: OperationContext,
    userId: string,
    serial: string,
  ): Promise<HardwareToken> => {
    const user = await requireUser(tx, ctx.companyId, userId)
    const token = await tx.tokens.findBySerial(ctx.companyId, serial, { forUpdate: true })
    if (!token) throw tokenNotFound(serial)
    if (token.assignedUserId !== user.id) {
      throw new DomainError('TOKEN_NOT_ASSIGNED_TO_USER', {
        message: `Token ${serial} is not assigned to user ${user.id}.`,
      })
    }
    return token
  }

  const setStatus = async (
    ctx: OperationContext,
    userId: string,
    serial: string,
    status: TokenStatus,
  ): Promise<HardwareToken> =>
    store.transaction(async (tx) => {
      const token = await requireOwnedToken(tx, ctx, userId, serial)
      if (token.status === status) return token
      const now = clock.now()
      const change = { status, at: now, by: ctx.actor.id }
      await tx.tokens.setStatus(ctx.companyId, serial, change)
      await audit(tx, ctx, now, {
        action: status === 'Enabled' ? 'token.enabled' : 'token.disabled',
        targetType: 'token',
        targetId: serial,
        details: { userId: token.assignedUserId },
      })
      return { ...token, status, statusChangedAt: now, statusChangedBy: ctx.actor.id }
    })

  return {
    async importTokens(
      ctx: OperationContext,
      items: readonly TokenImportItem[],
      options: { dryRun: boolean },
    ): Promise<TokenImportResult> {
      if (items.length === 0) throw invalid('tokens must hold at least one token.')
      const seen = new Set<string>()
      const now = clock.now()
      const tokens: NewHardwareToken[] = items.map((item, index) => {
        const serial = item.tokenSerialNumber
        if (serial.length < 1 || serial.length > MAX_SERIAL_LENGTH) {
          throw invalid(`tokens[${index}].tokenSerialNumber must be 1–36 characters.`)
        }
        if (seen.has(serial)) throw invalid(`tokens[${index}]: serial ${serial} appears twice.`)
        seen.add(serial)
        const seed = decodeBase32(item.secret)
        if (!seed || seed.length < 10 || seed.length > 64) {
          throw invalid(`tokens[${index}].secret must be base32 holding 10–64 bytes.`)
        }
        const period = item.period ?? 60
        if (!Number.isInteger(period) || period < 10 || period > 300) {
          throw invalid(`tokens[${index}].period must be a whole number of seconds, 10–300.`)
        }
        return {
          id: random.uuid(),
          companyId: ctx.companyId,
          serial,
          name: serial,
          algorithm: 'TOTP',
          digits: item.digits ?? 6,
          period,
          state: 'Unassigned',
          status: 'Disabled',
          statusChangedBy: null,
          statusChangedAt: null,
          assignedUserId: null,
          assignedAt: null,
          assignedBy: null,
          pinSet: false,
          createdAt: now,
          seedCiphertext: secrets.encrypt(seed, seedAad(ctx.companyId, serial)),
        }
      })
      const serials = tokens.map((token) => token.serial)
      return store.transaction(async (tx) => {
        const duplicates = await tx.tokens.existingSerials(ctx.companyId, serials)
        if (duplicates.length > 0) {
          throw new DomainError('TOKEN_SERIAL_EXISTS', {
            message: `Hardware tokens already exist: ${duplicates.join(', ')}`,
            details: { duplicates },
          })
        }
        if (options.dryRun) return { dryRun: true, wouldImport: tokens.length, serials }
        await tx.tokens.insertMany(tokens)
        await audit(tx, ctx, now, {
          action: 'token.imported',
          targetType: 'token',
          targetId: null,
          details: { count: tokens.length, serials },
        })
        return { dryRun: false, imported: tokens.length, serials }
      })
    },

    /** `PATCH /v1/users/{id}/sidTokens/assign`. Assigning a token the user already holds is a no-op. */
    async assign(
      ctx: OperationContext,
      userId: string,
      serial: string,
      tokenName?: string,
    ): Promise<HardwareToken> {
      return store.transaction(async (tx) => {
        const user = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        const token = await tx.tokens.findBySerial(ctx.companyId, serial, { forUpdate: true })
        if (!token) throw tokenNotFound(serial)
        if (token.assignedUserId === user.id) return token
        if (token.assignedUserId !== null) {
          throw new DomainError('TOKEN_ASSIGNED_ELSEWHERE', {
            message: `Token ${serial} is assigned to another user.`,
          })
        }
        if ((await tx.tokens.countAssigned(ctx.companyId, user.id)) >= MAX_TOKENS_PER_USER) {
          throw new DomainError('TOKEN_LIMIT_REACHED', {
            message: `User ${user.id} already has ${MAX_TOKENS_PER_USER} hardware tokens.`,
          })
        }
        const now = clock.now()
        const name = tokenName ?? serial
        await tx.tokens.assign(ctx.companyId, serial, {
          userId: user.id,
          name,
          at: now,
          by: ctx.actor.id,
        })
        await audit(tx, ctx, now, {
          action: 'token.assigned',
          targetType: 'token',
          targetId: serial,
          details: { userId: user.id },
        })
        return {
          ...token,
          name,
          state: 'Activation Pending',
          assignedUserId: user.id,
          assignedAt: now,
          assignedBy: ctx.actor.id,
        }
      })
    },

    /** `PATCH /v1/users/{id}/sidTokens/enable` (seed 004). */
    enable: (ctx: OperationContext, userId: string, serial: string) =>
      setStatus(ctx, userId, serial, 'Enabled'),

    /** `PATCH /v1/users/{id}/sidTokens/disable`: the mirror of enable; a disabled token never verifies. */
    disable: (ctx: OperationContext, userId: string, serial: string) =>
      setStatus(ctx, userId, serial, 'Disabled'),

    /**
     * `PATCH /v1/users/{id}/sidTokens/unassign`: back to `Unassigned` and `Disabled`, with no
     * holder and no PIN (the next holder sets their own).
     */
    async unassign(ctx: OperationContext, userId: string, serial: string): Promise<HardwareToken> {
      return store.transaction(async (tx) => {
        const token = await requireOwnedToken(tx, ctx, userId, serial)
        const now = clock.now()
        await tx.tokens.unassign(ctx.companyId, serial, { at: now, by: ctx.actor.id })
        await audit(tx, ctx, now, {
          action: 'token.unassigned',
          targetType: 'token',
          targetId: serial,
          details: { userId: token.assignedUserId },
        })
        return unassigned(token, now, ctx.actor.id)
      })
    },

    /** `PATCH /v2/users/{id}/sidTokens/clearPin`: the holder sets a new PIN at next use. */
    async clearPin(ctx: OperationContext, userId: string, serial: string): Promise<HardwareToken> {
      return store.transaction(async (tx) => {
        const token = await requireOwnedToken(tx, ctx, userId, serial)
        const now = clock.now()
        await tx.tokens.clearPin(ctx.companyId, serial)
        await audit(tx, ctx, now, {
          action: 'token.pin_cleared',
          targetType: 'token',
          targetId: serial,
          details: { userId: token.assignedUserId },
        })
        return { ...token, pinSet: false }
      })
    },

    /**
     * `DELETE /v1/sidTokens/delete` (SUPER_ADMIN only): removes the token, assigned or not.
     * Answers the token as it was; its audit history stays.
     */
    async remove(ctx: OperationContext, serial: string): Promise<HardwareToken> {
      return store.transaction(async (tx) => {
        const token = await tx.tokens.findBySerial(ctx.companyId, serial, { forUpdate: true })
        if (!token) throw tokenNotFound(serial)
        const now = clock.now()
        await tx.tokens.remove(ctx.companyId, serial)
        await audit(tx, ctx, now, {
          action: 'token.deleted',
          targetType: 'token',
          targetId: serial,
          details: { userId: token.assignedUserId },
        })
        return token
      })
    },

    /** `GET /v2/users/{id}/devices`: the user's hardware tokens, oldest assignment first. */
    async listForUser(ctx: OperationContext, userId: string): Promise<HardwareToken[]> {
      const user = await requireUser(store.read, ctx.companyId, userId)
      return store.read.tokens.listAssigned(ctx.companyId, user.id)
    },
  }
}

/** A token after unassigning: no holder, `Unassigned`, `Disabled`, no PIN. */
export const unassigned = (token: HardwareToken, at: number, by: string | null): HardwareToken => ({
  ...token,
  state: 'Unassigned',
  status: 'Disabled',
  ...(token.status === 'Disabled' ? {} : { statusChangedAt: at, statusChangedBy: by }),
  assignedUserId: null,
  assignedAt: null,
  assignedBy: null,
  pinSet: false,
})

export type TokenService = ReturnType<typeof createTokenService>

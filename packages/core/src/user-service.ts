import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError, userNotFound } from './errors.js'
import { isUuid } from './ids.js'
import type { Repositories, User, UserStatus } from './store.js'
import { loadUserDetails, type UserDetails } from './user-details.js'

export interface NewUserInput {
  emailAddress: string
  firstName?: string | null
  lastName?: string | null
  userStatus?: UserStatus
  smsNumber?: string | null
  voiceNumber?: string | null
}

const EMAIL = /^[^\s@]+@[^\s@]+$/

/**
 * Finds a user of the caller's company, or throws `USER_NOT_FOUND` naming the id as given.
 * A malformed id names no user (admin-api.md §1).
 */
export const requireUser = async (
  repos: Repositories,
  companyId: string,
  userId: string,
  options?: { forUpdate?: boolean },
): Promise<User> => {
  const user = isUuid(userId) ? await repos.users.findById(companyId, userId, options) : undefined
  if (!user) throw userNotFound(userId)
  return user
}

export const createUserService = (deps: Pick<Deps, 'store' | 'clock' | 'random'>) => {
  const { store, clock, random } = deps

  return {
    /** User Details by email, case-insensitively (`POST /v1/users/lookup`). */
    async lookup(ctx: OperationContext, email: string): Promise<UserDetails> {
      const user = await store.read.users.findByEmail(ctx.companyId, email)
      if (!user) throw new DomainError('USER_NOT_FOUND', { message: `User ${email} not found` })
      return loadUserDetails(store.read, user, clock.now())
    },

    async details(ctx: OperationContext, userId: string): Promise<UserDetails> {
      const user = await requireUser(store.read, ctx.companyId, userId)
      return loadUserDetails(store.read, user, clock.now())
    },

    async create(ctx: OperationContext, input: NewUserInput): Promise<UserDetails> {
      const emailAddress = input.emailAddress.trim()
      if (!EMAIL.test(emailAddress) || emailAddress.length > 254) {
        throw new DomainError('VALIDATION_FAILED', { message: 'Invalid email address.' })
      }
      const now = clock.now()
      const user: User = {
        id: random.uuid(),
        companyId: ctx.companyId,
        emailAddress,
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        userStatus: input.userStatus ?? 'Enabled',
        smsNumber: input.smsNumber ?? null,
        voiceNumber: input.voiceNumber ?? null,
        createdAt: now,
        updatedAt: now,
      }
      await store.transaction(async (tx) => {
        await tx.users.insert(user)
        await audit(tx, ctx, now, { action: 'user.created', targetType: 'user', targetId: user.id })
      })
      return loadUserDetails(store.read, user, now)
    },

    /** `PUT /v1/users/{id}/userStatus`: answers the User Details after the change. */
    async setStatus(
      ctx: OperationContext,
      userId: string,
      status: UserStatus,
    ): Promise<UserDetails> {
      const now = clock.now()
      const user = await store.transaction(async (tx) => {
        const current = await requireUser(tx, ctx.companyId, userId, { forUpdate: true })
        if (current.userStatus === status) return current
        await tx.users.updateStatus(ctx.companyId, current.id, status, now)
        await audit(tx, ctx, now, {
          action: 'user.status_changed',
          targetType: 'user',
          targetId: current.id,
          details: { from: current.userStatus, to: status },
        })
        return { ...current, userStatus: status, updatedAt: now }
      })
      return loadUserDetails(store.read, user, now)
    },
  }
}

export type UserService = ReturnType<typeof createUserService>

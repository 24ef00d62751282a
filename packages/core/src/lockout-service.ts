import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError, userNotFound } from './errors.js'
import { isUuid } from './ids.js'
import type { DocumentedLockFlags, LockableMethod } from './methods.js'
import { documentedLockFlags } from './methods.js'

export interface UnlockResult extends DocumentedLockFlags {
  userId: string
}

/**
 * `PATCH /v1/users/{id}/methods` (admin-api.md §7.1): unlocking clears the lock and the failure
 * count; the answer is the state of all documented methods afterwards, whichever were named.
 * If storage fails mid-way the caller gets `UNLOCK_FAILED` carrying the lock state read back.
 */
export const createLockoutService = (deps: Pick<Deps, 'store' | 'clock'>) => {
  const { store, clock } = deps

  return {
    async unlock(
      ctx: OperationContext,
      userId: string,
      methods: readonly LockableMethod[],
    ): Promise<UnlockResult> {
      if (!isUuid(userId)) throw new DomainError('INVALID_USER_ID')
      if (methods.length === 0 || new Set(methods).size !== methods.length) {
        throw new DomainError('VALIDATION_FAILED', {
          message: 'unlockMethods must list at least one method, each at most once.',
        })
      }
      const user = await store.read.users.findById(ctx.companyId, userId)
      if (!user) throw userNotFound(userId)
      try {
        return await store.transaction(async (tx) => {
          const now = clock.now()
          await tx.locks.unlock(ctx.companyId, user.id, methods)
          await audit(tx, ctx, now, {
            action: 'methods.unlocked',
            targetType: 'user',
            targetId: user.id,
            details: { methods: [...methods] },
          })
          return {
            userId: user.id,
            ...documentedLockFlags(await tx.locks.list(ctx.companyId, user.id)),
          }
        })
      } catch (cause) {
        if (cause instanceof DomainError) throw cause
        const state = await store.read.locks.list(ctx.companyId, user.id).then(
          (locks) => ({ userId: user.id, ...documentedLockFlags(locks) }),
          () => undefined,
        )
        if (!state) throw cause
        throw new DomainError('UNLOCK_FAILED', { cause, details: { state } })
      }
    },
  }
}

export type LockoutService = ReturnType<typeof createLockoutService>

import { audit, type Deps, type OperationContext } from './context.js'
import { DomainError } from './errors.js'
import { isUuid } from './ids.js'
import type { DocumentedLockFlags, LockableMethod } from './methods.js'
import { documentedLockFlags } from './methods.js'
import type { Repositories } from './store.js'
import { currentLocks } from './user-details.js'
import { requireUser } from './user-service.js'

export interface UnlockResult extends DocumentedLockFlags {
  userId: string
}

/**
 * `PATCH /v1/users/{id}/methods` (admin-api.md §7.1): unlocking clears the lock and the failure
 * count; the answer is the state of all documented methods afterwards, whichever were named, as
 * User Details would report it (a lock past the company's `autoUnlockAfterMinutes` is over).
 * If storage fails mid-way the caller gets `UNLOCK_FAILED` carrying the lock state read back.
 */
export const createLockoutService = (deps: Pick<Deps, 'store' | 'clock'>) => {
  const { store, clock } = deps

  /** The answer: the documented lock flags as they stand at `now`. */
  const stateOf = async (
    repos: Repositories,
    companyId: string,
    userId: string,
    now: number,
  ): Promise<UnlockResult> => ({
    userId,
    ...documentedLockFlags(
      await currentLocks(repos, companyId, await repos.locks.list(companyId, userId), now),
    ),
  })

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
      try {
        return await store.transaction(async (tx) => {
          // Read in the transaction, as every write does: the check and the change together, and
          // on SQLite on the writer, whose page cache other connections' commits never discard.
          const user = await requireUser(tx, ctx.companyId, userId)
          const now = clock.now()
          await tx.locks.unlock(ctx.companyId, user.id, methods)
          await audit(tx, ctx, now, {
            action: 'methods.unlocked',
            targetType: 'user',
            targetId: user.id,
            details: { methods: [...methods] },
          })
          return stateOf(tx, ctx.companyId, user.id, now)
        })
      } catch (cause) {
        if (cause instanceof DomainError) throw cause
        const state = await stateOf(store.read, ctx.companyId, userId, clock.now()).catch(
          () => undefined,
        )
        if (!state) throw cause
        throw new DomainError('UNLOCK_FAILED', { cause, details: { state } })
      }
    },
  }
}

export type LockoutService = ReturnType<typeof createLockoutService>

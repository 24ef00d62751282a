import { LOCKABLE_METHODS, type LockRepository, type MethodLockState } from '@tokendesk/core'
import { type Selectable, sql } from 'kysely'
import type { MethodLocksTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

export const toLockState = (
  row: Pick<Selectable<MethodLocksTable>, 'method' | 'failed_count' | 'locked_at'>,
): MethodLockState => ({
  method: row.method,
  failedCount: row.failed_count,
  lockedAt: row.locked_at,
})

/** A row per (user, method) that ever failed; a row with no count and no lock reads as absent. */
export const lockRepository = ({ db }: RepositoryContext): LockRepository => ({
  async list(companyId, userId) {
    const rows = await db
      .selectFrom('method_locks')
      .select(['method', 'failed_count', 'locked_at'])
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('failed_count', '>', 0), eb('locked_at', 'is not', null)]))
      .execute()
    return rows
      .map(toLockState)
      .sort((a, b) => LOCKABLE_METHODS.indexOf(a.method) - LOCKABLE_METHODS.indexOf(b.method))
  },

  async unlock(companyId, userId, methods) {
    if (methods.length === 0) return
    await db
      .deleteFrom('method_locks')
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('method', 'in', methods)
      .execute()
  },

  async recordFailure(companyId, userId, method, at, maxFailedAttempts) {
    // One statement (SQLite ≥ 3.35 and PostgreSQL): the insert or the increment, and the lock
    // once the count reaches the maximum. A locked row keeps its count, so N parallel failures
    // leave exactly maxFailedAttempts counted.
    const row = await db
      .insertInto('method_locks')
      .values({
        company_id: companyId,
        user_id: userId,
        method,
        failed_count: 1,
        locked_at: maxFailedAttempts <= 1 ? at : null,
        last_failure_at: at,
      })
      .onConflict((oc) =>
        oc.columns(['user_id', 'method']).doUpdateSet({
          failed_count: sql<number>`case when method_locks.locked_at is null then method_locks.failed_count + 1 else method_locks.failed_count end`,
          locked_at: sql<
            number | null
          >`case when method_locks.locked_at is null and method_locks.failed_count + 1 >= ${maxFailedAttempts} then ${at} else method_locks.locked_at end`,
          last_failure_at: at,
        }),
      )
      .returning(['method', 'failed_count', 'locked_at'])
      .executeTakeFirstOrThrow()
    return toLockState(row)
  },

  async resetFailures(companyId, userId, method) {
    await db
      .deleteFrom('method_locks')
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('method', '=', method)
      .where('locked_at', 'is', null)
      .execute()
  },

  async clearLockedBefore(companyId, userId, method, lockedBefore) {
    const result = await db
      .deleteFrom('method_locks')
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('method', '=', method)
      .where('locked_at', '<=', lockedBefore)
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },
})

import {
  LOCKABLE_METHODS,
  type LockableMethod,
  type LockRepository,
  type MethodLockState,
} from '@tokendesk/core'
import { type Expression, type Kysely, type Selectable, sql } from 'kysely'
import { prepared } from '../prepared.js'
import type { Database, MethodLocksTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

export const toLockState = (
  row: Pick<Selectable<MethodLocksTable>, 'method' | 'failed_count' | 'locked_at'>,
): MethodLockState => ({
  method: row.method,
  failedCount: row.failed_count,
  lockedAt: row.locked_at,
})

type MethodKey = { companyId: string; userId: string; method: LockableMethod }

/**
 * A user's lock rows that count: failures or a lock (a row with neither reads as absent). The
 * user is given as values, or as an outer query's columns (User Details in one statement).
 */
export const lockRows = (
  db: Kysely<Database>,
  companyId: string | Expression<string>,
  userId: string | Expression<string>,
) =>
  db
    .selectFrom('method_locks')
    .select(['method', 'failed_count', 'locked_at'])
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('failed_count', '>', 0), eb('locked_at', 'is not', null)]))

const listLocks = prepared((db, key: { companyId: string; userId: string }) =>
  lockRows(db, key.companyId, key.userId),
)

/** The `IN` list's length: every lockable method (m0…m4). */
const UNLOCK_LIST_LENGTH = 5 satisfies typeof LOCKABLE_METHODS.length

/** One `IN` list, of every lockable method's length, for any number of methods (see unlock). */
const unlockMethods = prepared(
  (
    db,
    key: {
      companyId: string
      userId: string
      m0: LockableMethod
      m1: LockableMethod
      m2: LockableMethod
      m3: LockableMethod
      m4: LockableMethod
    },
  ) =>
    db
      .deleteFrom('method_locks')
      .where('company_id', '=', key.companyId)
      .where('user_id', '=', key.userId)
      .where('method', 'in', [key.m0, key.m1, key.m2, key.m3, key.m4]),
)

/**
 * One statement (SQLite ≥ 3.35 and PostgreSQL): the insert or the increment, and the lock once
 * the count reaches the maximum. A locked row keeps its count, so N parallel failures leave
 * exactly maxFailedAttempts counted.
 */
const upsertFailure = prepared(
  (
    db,
    failure: MethodKey & { at: number; lockedAtFirst: number | null; maxFailedAttempts: number },
  ) =>
    db
      .insertInto('method_locks')
      .values({
        company_id: failure.companyId,
        user_id: failure.userId,
        method: failure.method,
        failed_count: 1,
        locked_at: failure.lockedAtFirst,
        last_failure_at: failure.at,
      })
      .onConflict((oc) =>
        oc.columns(['user_id', 'method']).doUpdateSet({
          failed_count: sql<number>`case when method_locks.locked_at is null then method_locks.failed_count + 1 else method_locks.failed_count end`,
          locked_at: sql<
            number | null
          >`case when method_locks.locked_at is null and method_locks.failed_count + 1 >= ${failure.maxFailedAttempts} then ${failure.at} else method_locks.locked_at end`,
          last_failure_at: failure.at,
        }),
      )
      .returning(['method', 'failed_count', 'locked_at']),
)

const deleteUnlockedFailures = prepared((db, key: MethodKey) =>
  db
    .deleteFrom('method_locks')
    .where('company_id', '=', key.companyId)
    .where('user_id', '=', key.userId)
    .where('method', '=', key.method)
    .where('locked_at', 'is', null),
)

const deleteLocksBefore = prepared((db, key: MethodKey & { lockedBefore: number }) =>
  db
    .deleteFrom('method_locks')
    .where('company_id', '=', key.companyId)
    .where('user_id', '=', key.userId)
    .where('method', '=', key.method)
    .where('locked_at', '<=', key.lockedBefore),
)

/** The rows `list` reads (failures or a lock), as lock states in the methods' order. */
export const lockStates = (
  rows: readonly Pick<Selectable<MethodLocksTable>, 'method' | 'failed_count' | 'locked_at'>[],
): MethodLockState[] =>
  rows
    .map(toLockState)
    .sort((a, b) => LOCKABLE_METHODS.indexOf(a.method) - LOCKABLE_METHODS.indexOf(b.method))

/** A row per (user, method) that ever failed; a row with no count and no lock reads as absent. */
export const lockRepository = (context: RepositoryContext): LockRepository => ({
  async list(companyId, userId) {
    return lockStates(await listLocks.rows(context, { companyId, userId }))
  },

  async unlock(companyId, userId, methods) {
    // At most the five lockable methods once each, padded with repeats of the first.
    const unique = [...new Set(methods)]
    const first = unique[0]
    if (first === undefined) return
    if (unique.length > UNLOCK_LIST_LENGTH) throw new Error(`unlock: unknown methods ${unique}`)
    const [m0 = first, m1 = first, m2 = first, m3 = first, m4 = first] = unique
    await unlockMethods.affected(context, { companyId, userId, m0, m1, m2, m3, m4 })
  },

  async recordFailure(companyId, userId, method, at, maxFailedAttempts) {
    const [row] = await upsertFailure.rows(context, {
      companyId,
      userId,
      method,
      at,
      lockedAtFirst: maxFailedAttempts <= 1 ? at : null,
      maxFailedAttempts,
    })
    if (row === undefined) throw new Error('recordFailure: the upsert returned no row')
    return toLockState(row)
  },

  async resetFailures(companyId, userId, method) {
    await deleteUnlockedFailures.affected(context, { companyId, userId, method })
  },

  clearLockedBefore: (companyId, userId, method, lockedBefore) =>
    deleteLocksBefore.affected(context, { companyId, userId, method, lockedBefore }),
})

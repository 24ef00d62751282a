import { LOCKABLE_METHODS, type LockRepository, type MethodLockState } from '@tokendesk/core'
import type { Selectable } from 'kysely'
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
})

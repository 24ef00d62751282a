import type { EmergencyCode, EmergencyCodeRepository } from '@tokendesk/core'
import { type Expression, type Insertable, type Kysely, type Selectable, sql } from 'kysely'
import { prepared } from '../prepared.js'
import type { Database, EmergencyCodesTable } from '../schema.js'
import { flag, type RepositoryContext } from './context.js'

/** Every column but `code_hash`, which is compared in SQL and never read back. */
const CODE_COLUMNS = [
  'id',
  'company_id',
  'user_id',
  'issued_at',
  'expires_at',
  'offline_expires_at',
  'one_time_use',
  'revoked_at',
  'last_used_at',
] as const

export const toEmergencyCode = (row: CodeRow): EmergencyCode => ({
  id: row.id,
  companyId: row.company_id,
  userId: row.user_id,
  issuedAt: row.issued_at,
  expiresAt: row.expires_at,
  offlineExpiresAt: row.offline_expires_at,
  oneTimeUse: Boolean(row.one_time_use),
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
})

type UserKey = { companyId: string; userId: string }

const insertCode = prepared((db, code: Required<Insertable<EmergencyCodesTable>>) =>
  db.insertInto('emergency_codes').values({
    id: code.id,
    company_id: code.company_id,
    user_id: code.user_id,
    code_hash: code.code_hash,
    issued_at: code.issued_at,
    expires_at: code.expires_at,
    offline_expires_at: code.offline_expires_at,
    one_time_use: code.one_time_use,
    revoked_at: code.revoked_at,
    last_used_at: code.last_used_at,
  }),
)

const revokeActiveCode = prepared((db, key: UserKey & { at: number }) =>
  db
    .updateTable('emergency_codes')
    .set({ revoked_at: key.at })
    .where('company_id', '=', key.companyId)
    .where('user_id', '=', key.userId)
    .where('revoked_at', 'is', null),
)

/**
 * A user's latest code by issue time, read off the end of `emergency_codes_user_latest_idx`
 * (see `latestOf` for a revoked one). The user is given as values, or as an outer query's
 * columns (User Details in one statement).
 */
export const latestCodeRow = (
  db: Kysely<Database>,
  companyId: string | Expression<string>,
  userId: string | Expression<string>,
) =>
  db
    .selectFrom('emergency_codes')
    .select(CODE_COLUMNS)
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .orderBy('issued_at', 'desc')
    .orderBy('id', 'desc')
    // A literal: SQLite re-prepares a statement whenever a bound LIMIT is bound again (the
    // planner may use its value), which costs more than the query itself.
    .limit(sql.lit(1))

const latestCode = prepared((db, key: UserKey) => latestCodeRow(db, key.companyId, key.userId))

const activeCode = prepared((db, key: UserKey) =>
  db
    .selectFrom('emergency_codes')
    .select(CODE_COLUMNS)
    .where('user_id', '=', key.userId)
    .where('revoked_at', 'is', null)
    .where('company_id', '=', key.companyId),
)

/**
 * The whole check is the WHERE clause of one UPDATE: of parallel uses of a one-time code, only
 * the first changes the row (the others find it revoked).
 */
const useCodeOnline = prepared(
  (db, use: UserKey & { codeHash: string; at: number; oneTimeUse: boolean | number }) =>
    db
      .updateTable('emergency_codes')
      .set({
        last_used_at: use.at,
        revoked_at: sql<
          number | null
        >`case when one_time_use = ${use.oneTimeUse} then ${use.at} else revoked_at end`,
      })
      .where('company_id', '=', use.companyId)
      .where('user_id', '=', use.userId)
      .where('code_hash', '=', use.codeHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', use.at),
)

export type CodeRow = Pick<Selectable<EmergencyCodesTable>, (typeof CODE_COLUMNS)[number]>

/**
 * The latest code from the latest row by issue time (`findLatest`). Should that be revoked while
 * another code is active (issued in the same millisecond, or by a node whose clock is behind),
 * the active one (at most one: a partial unique index) is the latest.
 */
export const latestOf = async (
  context: RepositoryContext,
  companyId: string,
  userId: string,
  latest: CodeRow | undefined,
): Promise<EmergencyCode | undefined> => {
  if (latest === undefined) return undefined
  if (latest.revoked_at === null) return toEmergencyCode(latest)
  const active = await activeCode.first(context, { companyId, userId })
  return toEmergencyCode(active ?? latest)
}

export const emergencyCodeRepository = (context: RepositoryContext): EmergencyCodeRepository => {
  const { engine } = context
  return {
    async insert(code) {
      await insertCode.affected(context, {
        id: code.id,
        company_id: code.companyId,
        user_id: code.userId,
        code_hash: code.codeHash,
        issued_at: code.issuedAt,
        expires_at: code.expiresAt,
        offline_expires_at: code.offlineExpiresAt,
        one_time_use: flag(engine, code.oneTimeUse),
        revoked_at: code.revokedAt,
        last_used_at: code.lastUsedAt,
      })
    },

    revokeActive: (companyId, userId, at) =>
      revokeActiveCode.affected(context, { companyId, userId, at }),

    findLatest: async (companyId, userId) =>
      latestOf(context, companyId, userId, await latestCode.first(context, { companyId, userId })),

    async useOnline(companyId, userId, codeHash, at) {
      const used = await useCodeOnline.affected(context, {
        companyId,
        userId,
        codeHash,
        at,
        oneTimeUse: flag(engine, true),
      })
      return used === 1
    },
  }
}

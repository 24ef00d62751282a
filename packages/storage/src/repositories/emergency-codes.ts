import type { EmergencyCode, EmergencyCodeRepository } from '@tokendesk/core'
import { type Selectable, sql } from 'kysely'
import type { EmergencyCodesTable } from '../schema.js'
import { flag, type RepositoryContext, rowCount } from './context.js'

/** Every column but `code_hash`, which is compared in SQL and never read back. */
const COLUMNS = [
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

export const toEmergencyCode = (
  row: Pick<Selectable<EmergencyCodesTable>, (typeof COLUMNS)[number]>,
): EmergencyCode => ({
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

export const emergencyCodeRepository = ({
  db,
  engine,
}: RepositoryContext): EmergencyCodeRepository => ({
  async insert(code) {
    await db
      .insertInto('emergency_codes')
      .values({
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
      .execute()
  },

  async revokeActive(companyId, userId, at) {
    const result = await db
      .updateTable('emergency_codes')
      .set({ revoked_at: at })
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return rowCount(result)
  },

  async findLatest(companyId, userId) {
    // The latest by issue time, read off the end of `emergency_codes_user_latest_idx`. Should
    // it be revoked while another code is active (issued in the same millisecond, or by a node
    // whose clock is behind), the active one (at most one: a partial unique index) is the latest.
    const latest = await db
      .selectFrom('emergency_codes')
      .select(COLUMNS)
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .orderBy('issued_at', 'desc')
      .orderBy('id', 'desc')
      // A literal: SQLite re-prepares a statement whenever a bound LIMIT is bound again (the
      // planner may use its value), which costs more than the query itself.
      .limit(sql.lit(1))
      .executeTakeFirst()
    if (latest === undefined) return undefined
    if (latest.revoked_at === null) return toEmergencyCode(latest)
    const active = await db
      .selectFrom('emergency_codes')
      .select(COLUMNS)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('company_id', '=', companyId)
      .executeTakeFirst()
    return toEmergencyCode(active ?? latest)
  },

  async useOnline(companyId, userId, codeHash, at) {
    // The whole check is the WHERE clause of one UPDATE: of parallel uses of a one-time code,
    // only the first changes the row (the others find it revoked).
    const result = await db
      .updateTable('emergency_codes')
      .set({
        last_used_at: at,
        revoked_at: sql<
          number | null
        >`case when one_time_use = ${flag(engine, true)} then ${at} else revoked_at end`,
      })
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .executeTakeFirst()
    return rowCount(result) === 1
  },
})

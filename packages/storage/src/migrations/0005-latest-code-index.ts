import type { Kysely, Migration } from 'kysely'

/**
 * A user's latest emergency code is found by walking this index backwards (`issued_at`, then
 * `id` for codes of the same millisecond), with no sort. It supersedes
 * `emergency_codes_user_issued_idx`, its prefix.
 */
export const latestCodeIndex = (): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createIndex('emergency_codes_user_latest_idx')
      .on('emergency_codes')
      .columns(['company_id', 'user_id', 'issued_at', 'id'])
      .execute()
    await db.schema.dropIndex('emergency_codes_user_issued_idx').execute()
  },
})

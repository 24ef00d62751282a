import { type Kysely, type Migration, sql } from 'kysely'
import type { Engine } from '../database.js'

/**
 * User administration (issue 4):
 * - `users.deleted_at`: `DELETE /v1/users/{id}` keeps the row (the audit trail and old tokens'
 *   history still name it) but no lookup finds it again. The delete also rewrites the row's
 *   `email_lower` to `deleted:<id>` (never an email: it has no `@`), so that the unique
 *   constraint `users_company_email_key` frees the address for a new user.
 * - PostgreSQL: user search orders and pages by `email_lower` in byte order (`COLLATE "C"`, the
 *   order SQLite's BINARY collation gives), so both engines page alike; this index serves it.
 */
export const userAdmin = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('users')
      .addColumn('deleted_at', engine === 'postgres' ? 'bigint' : 'integer')
      .execute()
    if (engine === 'postgres') {
      await sql`create index users_company_email_c_idx on users (company_id, email_lower collate "C")`.execute(
        db,
      )
    }
  },
})

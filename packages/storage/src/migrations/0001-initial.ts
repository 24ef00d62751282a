import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely'
import type { Engine } from '../database.js'

/**
 * The first schema. A shipped migration is never edited: change the schema in a new,
 * higher-numbered migration.
 *
 * - Names of unique constraints and indexes are explicit: `driver-errors.ts` maps PostgreSQL's
 *   unique violations by constraint name.
 * - `emergency_codes_one_active_per_user` is a partial unique index: the database itself keeps
 *   at most one non-revoked code per user, whatever the application does.
 * - SQLite tables are `strict`, so a column holds only its declared type.
 */
export const initial = (engine: Engine): Migration => {
  const pg = engine === 'postgres'
  const millis = pg ? 'bigint' : 'integer'
  const flag = pg ? 'boolean' : 'integer'
  const bytes = pg ? 'bytea' : 'blob'
  const strict = <T extends CreateTableBuilder<string>>(table: T): T =>
    pg ? table : (table.modifyEnd(sql`strict`) as T)

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('companies')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addUniqueConstraint('companies_name_key', ['name'])
        .$call(strict)
        .execute()

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_lower', 'text', (c) => c.notNull())
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('sms_number', 'text')
        .addColumn('voice_number', 'text')
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('updated_at', millis, (c) => c.notNull())
        .addUniqueConstraint('users_company_email_key', ['company_id', 'email_lower'])
        .$call(strict)
        .execute()

      await db.schema
        .createTable('emergency_codes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('issued_at', millis, (c) => c.notNull())
        .addColumn('expires_at', millis, (c) => c.notNull())
        .addColumn('offline_expires_at', millis)
        .addColumn('one_time_use', flag, (c) => c.notNull())
        .addColumn('revoked_at', millis)
        .addColumn('last_used_at', millis)
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('emergency_codes_user_issued_idx')
        .on('emergency_codes')
        .columns(['company_id', 'user_id', 'issued_at'])
        .execute()
      await db.schema
        .createIndex('emergency_codes_one_active_per_user')
        .on('emergency_codes')
        .column('user_id')
        .unique()
        .where(sql.ref('revoked_at'), 'is', null)
        .execute()

      await db.schema
        .createTable('method_locks')
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_at', millis)
        .addColumn('last_failure_at', millis)
        .addPrimaryKeyConstraint('method_locks_pkey', ['user_id', 'method'])
        .$call(strict)
        .execute()

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('serial', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('seed_ciphertext', bytes, (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('digits', 'integer', (c) => c.notNull())
        .addColumn('period', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_changed_by', 'text')
        .addColumn('status_changed_at', millis)
        .addColumn('assigned_user_id', 'text', (c) => c.references('users.id'))
        .addColumn('assigned_at', millis)
        .addColumn('assigned_by', 'text')
        .addColumn('pin_set', flag, (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addUniqueConstraint('tokens_company_serial_key', ['company_id', 'serial'])
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('tokens_company_assigned_user_idx')
        .on('tokens')
        .columns(['company_id', 'assigned_user_id'])
        .execute()

      await db.schema
        .createTable('api_keys')
        .addColumn('access_id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('last_used_at', millis)
        .addColumn('revoked_at', millis)
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('api_keys_company_idx')
        .on('api_keys')
        .column('company_id')
        .execute()

      // No foreign key to companies: the audit trail outlives what it describes.
      await db.schema
        .createTable('audit_events')
        .addColumn('id', pg ? 'bigint' : 'integer', (c) =>
          pg ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
        )
        .addColumn('company_id', 'text', (c) => c.notNull())
        .addColumn('at', millis, (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_role', 'text')
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('request_id', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('audit_events_company_id_idx')
        .on('audit_events')
        .columns(['company_id', 'id'])
        .execute()
    },
  }
}

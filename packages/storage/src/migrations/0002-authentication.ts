import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely'
import type { Engine } from '../database.js'

/**
 * The Authentication API (authn-api.md):
 * - `agent_keys`: `client-key`s, stored only as keyed hashes (unique: the lookup key);
 * - `authn_attempts`: attempts shared by every node; `last_message_id` is the context chain's
 *   compare-and-set column, `state` the per-attempt JSON (pending SMS code hash, SecurID stage);
 * - `totp_authenticators`: one Authenticate OTP registration per user, seed encrypted, and the
 *   last accepted time step (replay protection);
 * - `tokens` gains `pin_hash` (keyed hash of the PIN), `last_used_step` and `drift_steps`.
 */
export const authentication = (engine: Engine): Migration => {
  const pg = engine === 'postgres'
  const millis = pg ? 'bigint' : 'integer'
  const flag = pg ? 'boolean' : 'integer'
  const bytes = pg ? 'bytea' : 'blob'
  const strict = <T extends CreateTableBuilder<string>>(table: T): T =>
    pg ? table : (table.modifyEnd(sql`strict`) as T)

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('agent_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('revoked_at', millis)
        .addUniqueConstraint('agent_keys_key_hash_key', ['key_hash'])
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('agent_keys_company_idx')
        .on('agent_keys')
        .columns(['company_id', 'created_at'])
        .execute()

      await db.schema
        .createTable('authn_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('agent_key_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('subject_name', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text')
        .addColumn('last_message_id', 'text', (c) => c.notNull())
        .addColumn('timeout_seconds', 'integer', (c) => c.notNull())
        .addColumn('expires_at', millis, (c) => c.notNull())
        .addColumn('keep_attempt', flag, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason_code', 'text', (c) => c.notNull())
        .addColumn('successful_methods', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', millis, (c) => c.notNull())
        .addColumn('updated_at', millis, (c) => c.notNull())
        .$call(strict)
        .execute()
      await db.schema
        .createIndex('authn_attempts_expires_idx')
        .on('authn_attempts')
        .column('expires_at')
        .execute()

      await db.schema
        .createTable('totp_authenticators')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('seed_ciphertext', bytes, (c) => c.notNull())
        .addColumn('last_used_step', millis)
        .addColumn('created_at', millis, (c) => c.notNull())
        .addUniqueConstraint('totp_authenticators_user_key', ['user_id'])
        .$call(strict)
        .execute()

      await db.schema.alterTable('tokens').addColumn('pin_hash', 'text').execute()
      await db.schema.alterTable('tokens').addColumn('last_used_step', millis).execute()
      await db.schema
        .alterTable('tokens')
        .addColumn('drift_steps', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tokens').dropColumn('drift_steps').execute()
      await db.schema.alterTable('tokens').dropColumn('last_used_step').execute()
      await db.schema.alterTable('tokens').dropColumn('pin_hash').execute()
      await db.schema.dropTable('totp_authenticators').execute()
      await db.schema.dropTable('authn_attempts').execute()
      await db.schema.dropTable('agent_keys').execute()
    },
  }
}

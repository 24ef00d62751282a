import { type AuditKind, auditEventHash, auditKindOf, GENESIS_HASH } from '@tokendesk/core'
import { type CreateTableBuilder, type Kysely, type Migration, sql } from 'kysely'
import type { Engine } from '../database.js'
import type { Database } from '../schema.js'

/**
 * The audit trail's tamper evidence and export indexes (docs/events.md):
 * - `audit_events.kind` (`admin` | `user`), `prev_hash`, `hash`: every event links to the
 *   previous event of its company's chain of its kind;
 * - `audit_chain_heads`: one row per chain, the newest hash and the retention anchor; appends
 *   lock it, so two transactions never link to the same predecessor;
 * - events already stored (all admin events) are chained here, oldest first;
 * - indexes for the exports (company, kind, time) and for chain walks and purges (company,
 *   kind, id).
 */
export const auditChain = (engine: Engine): Migration => {
  const pg = engine === 'postgres'
  const strict = <T extends CreateTableBuilder<string>>(table: T): T =>
    pg ? table : (table.modifyEnd(sql`strict`) as T)

  return {
    async up(untyped: Kysely<unknown>): Promise<void> {
      const db = untyped as unknown as Kysely<Database>
      // SQLite adds a NOT NULL column only with a default; rows are filled in just below.
      await db.schema
        .alterTable('audit_events')
        .addColumn('kind', 'text', (c) => c.notNull().defaultTo('admin'))
        .execute()
      await db.schema
        .alterTable('audit_events')
        .addColumn('prev_hash', 'text', (c) => c.notNull().defaultTo(''))
        .execute()
      await db.schema
        .alterTable('audit_events')
        .addColumn('hash', 'text', (c) => c.notNull().defaultTo(''))
        .execute()

      await db.schema
        .createTable('audit_chain_heads')
        .addColumn('company_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .addColumn('anchor_hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_chain_heads_pkey', ['company_id', 'kind'])
        .$call(strict)
        .execute()

      await db.schema
        .createIndex('audit_events_export_idx')
        .on('audit_events')
        .columns(['company_id', 'kind', 'at', 'id'])
        .execute()
      await db.schema
        .createIndex('audit_events_chain_idx')
        .on('audit_events')
        .columns(['company_id', 'kind', 'id'])
        .execute()

      // Chain what is already there, oldest first, in batches (ids only grow).
      const heads = new Map<string, { companyId: string; kind: AuditKind; lastHash: string }>()
      let afterId = 0
      for (;;) {
        const rows = await db
          .selectFrom('audit_events')
          .select([
            'id',
            'company_id',
            'at',
            'action',
            'actor_type',
            'actor_id',
            'actor_role',
            'target_type',
            'target_id',
            'result',
            'reason',
            'request_id',
            'source_ip',
            'details',
          ])
          .where('id', '>', afterId)
          .orderBy('id')
          .limit(500)
          .execute()
        if (rows.length === 0) break
        for (const row of rows) {
          const kind = auditKindOf(row.action)
          const key = `${row.company_id}\u0000${kind}`
          const head = heads.get(key) ?? { companyId: row.company_id, kind, lastHash: GENESIS_HASH }
          // The row as this migration knows it, not through today's repository mapper.
          const hash = auditEventHash({
            companyId: row.company_id,
            kind,
            at: row.at,
            action: row.action,
            actor: { type: row.actor_type, id: row.actor_id, role: row.actor_role },
            targetType: row.target_type,
            targetId: row.target_id,
            result: row.result,
            reason: row.reason,
            requestId: row.request_id,
            sourceIp: row.source_ip,
            details: JSON.parse(row.details),
            prevHash: head.lastHash,
          })
          await db
            .updateTable('audit_events')
            .set({ kind, prev_hash: head.lastHash, hash })
            .where('id', '=', row.id)
            .execute()
          heads.set(key, { ...head, lastHash: hash })
          afterId = row.id
        }
      }
      for (const head of heads.values()) {
        await db
          .insertInto('audit_chain_heads')
          .values({
            company_id: head.companyId,
            kind: head.kind,
            last_hash: head.lastHash,
            anchor_hash: GENESIS_HASH,
          })
          .execute()
      }
    },
  }
}

import {
  type AuditKind,
  type AuditRepository,
  type AuditTimeRange,
  auditEventHash,
  auditKindOf,
  type ChainedAuditEvent,
  GENESIS_HASH,
  type StoredAuditEvent,
} from '@tokendesk/core'
import type { Kysely, QueryCreator, Selectable } from 'kysely'
import { prepared } from '../prepared.js'
import type { AuditEventsTable, Database } from '../schema.js'
import type { RepositoryContext } from './context.js'

/** The company's events of one kind in `(after, onOrBefore]`. */
const inRange = (
  db: Kysely<Database>,
  companyId: string,
  kind: AuditKind,
  range: AuditTimeRange,
) => {
  let query = db
    .selectFrom('audit_events')
    .where('company_id', '=', companyId)
    .where('kind', '=', kind)
    .where('at', '<=', range.onOrBefore)
  if (range.after !== undefined) query = query.where('at', '>', range.after)
  return query
}

export const toAuditEvent = (row: Selectable<AuditEventsTable>): StoredAuditEvent => ({
  id: row.id,
  companyId: row.company_id,
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
})

const toChainedEvent = (row: Selectable<AuditEventsTable>): ChainedAuditEvent => ({
  ...toAuditEvent(row),
  kind: row.kind,
  prevHash: row.prev_hash,
  hash: row.hash,
})

type EventRow = Omit<Selectable<AuditEventsTable>, 'id'>
type ChainKey = { companyId: string; kind: AuditKind }

/** Each column read off the argument (a prepared query's arguments are read one by one). */
const eventValues = (row: EventRow): EventRow => ({
  kind: row.kind,
  prev_hash: row.prev_hash,
  hash: row.hash,
  company_id: row.company_id,
  at: row.at,
  action: row.action,
  actor_type: row.actor_type,
  actor_id: row.actor_id,
  actor_role: row.actor_role,
  target_type: row.target_type,
  target_id: row.target_id,
  result: row.result,
  reason: row.reason,
  request_id: row.request_id,
  source_ip: row.source_ip,
  details: row.details,
})

/**
 * Creates the chain's head on first use and reads it, locked until the transaction ends: in
 * PostgreSQL `ON CONFLICT DO UPDATE` takes the row lock (a concurrent append waits, then reads
 * the hash the other committed); in SQLite `BEGIN IMMEDIATE` already serialises.
 */
const claimHead = prepared((db, key: ChainKey) =>
  db
    .insertInto('audit_chain_heads')
    .values({
      company_id: key.companyId,
      kind: key.kind,
      last_hash: GENESIS_HASH,
      anchor_hash: GENESIS_HASH,
    })
    .onConflict((oc) =>
      oc
        .columns(['company_id', 'kind'])
        .doUpdateSet((eb) => ({ last_hash: eb.ref('audit_chain_heads.last_hash') })),
    )
    .returning('last_hash'),
)

const advanceHeadQuery = (db: QueryCreator<Database>, row: EventRow) =>
  db
    .updateTable('audit_chain_heads')
    .set({ last_hash: row.hash })
    .where('company_id', '=', row.company_id)
    .where('kind', '=', row.kind)

/** SQLite: the event, then the head's advance (no INSERT in a CTE, and no round trips). */
const insertEvent = prepared((db, row: EventRow) =>
  db.insertInto('audit_events').values(eventValues(row)),
)
const advanceHead = prepared(advanceHeadQuery)

/**
 * PostgreSQL: the event and the head's advance in one round trip (a data-modifying CTE; it only
 * adds the name `event`, which the update does not use). The head stays locked until commit, so
 * each statement after its claim delays the company's next append (docs/performance.md).
 */
const insertEventAndAdvanceHead = prepared((db, row: EventRow) =>
  advanceHeadQuery(
    db.with('event', (q) =>
      q.insertInto('audit_events').values(eventValues(row)).returning('id'),
    ) as unknown as QueryCreator<Database>,
    row,
  ),
)

/**
 * Append-only: ids grow with every event, so id order is write order, and within a chain it is
 * chain order (appends to a chain are serialised by its head row).
 */
export const auditRepository = (context: RepositoryContext): AuditRepository => {
  const { db, engine, chainHeads } = context
  return {
    async append(event) {
      const kind = auditKindOf(event.action)
      // The details as they will read back (what JSON keeps), so the hash verifies later.
      const detailsText = JSON.stringify(event.details)
      // A group-commit batch holds every head until it ends, and reads each once (`chainHeads`).
      const chain = `${event.companyId} ${kind}`
      let prevHash = chainHeads?.get(chain)
      if (prevHash === undefined) {
        const [head] = await claimHead.rows(context, { companyId: event.companyId, kind })
        if (head === undefined)
          throw new Error('audit append: the chain head upsert returned no row')
        prevHash = head.last_hash
      }
      const hash = auditEventHash({
        ...event,
        details: JSON.parse(detailsText),
        kind,
        prevHash,
      })
      const row: EventRow = {
        kind,
        prev_hash: prevHash,
        hash,
        company_id: event.companyId,
        at: event.at,
        action: event.action,
        actor_type: event.actor.type,
        actor_id: event.actor.id,
        actor_role: event.actor.role,
        target_type: event.targetType,
        target_id: event.targetId,
        result: event.result,
        reason: event.reason,
        request_id: event.requestId,
        source_ip: event.sourceIp,
        details: detailsText,
      }
      if (engine === 'postgres') {
        await insertEventAndAdvanceHead.affected(context, row)
      } else {
        await insertEvent.affected(context, row)
        await advanceHead.affected(context, row)
      }
      chainHeads?.set(chain, hash)
    },

    async list(companyId, options) {
      let query = db
        .selectFrom('audit_events')
        .selectAll()
        .where('company_id', '=', companyId)
        .orderBy('id')
      if (options?.limit !== undefined) query = query.limit(options.limit)
      return (await query.execute()).map(toAuditEvent)
    },

    async count(companyId, kind, range) {
      const row = await inRange(db, companyId, kind, range)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
      return Number(row?.n ?? 0)
    },

    async find(companyId, kind, range, page) {
      const rows = await inRange(db, companyId, kind, range)
        .selectAll()
        .orderBy('at')
        .orderBy('id')
        .limit(page.limit)
        .offset(page.offset)
        .execute()
      return rows.map(toAuditEvent)
    },

    async chains(companyId, options) {
      let heads = db.selectFrom('audit_chain_heads').select(['company_id', 'kind'])
      let events = db.selectFrom('audit_events').select(['company_id', 'kind']).distinct()
      if (companyId !== undefined) {
        heads = heads.where('company_id', '=', companyId)
        events = events.where('company_id', '=', companyId)
      }
      const rows = await (options?.headsOnly ? heads : heads.union(events)).execute()
      return rows
        .map((row) => ({ companyId: row.company_id, kind: row.kind }))
        .sort((a, b) =>
          a.companyId === b.companyId
            ? a.kind.localeCompare(b.kind)
            : a.companyId.localeCompare(b.companyId),
        )
    },

    async head(companyId, kind) {
      const row = await db
        .selectFrom('audit_chain_heads')
        .selectAll()
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .executeTakeFirst()
      return row
        ? { companyId, kind, lastHash: row.last_hash, anchorHash: row.anchor_hash }
        : undefined
    },

    async chainEvents(companyId, kind, afterId, limit) {
      const rows = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute()
      return rows.map(toChainedEvent)
    },

    async purge(companyId, kind, before, limit) {
      // Lock the head first: appends and other purges of this chain wait.
      const head = await db
        .selectFrom('audit_chain_heads')
        .select('anchor_hash')
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .$call((q) => (engine === 'postgres' ? q.forUpdate() : q))
        .executeTakeFirst()
      if (!head) return 0
      const oldest = await db
        .selectFrom('audit_events')
        .select(['id', 'at', 'hash'])
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .orderBy('id')
        .limit(limit)
        .execute()
      // Only a prefix of the chain: an event is purged only with every event before it, so
      // the oldest retained event always links to the anchor.
      const end = oldest.findIndex((row) => row.at >= before)
      const expired = end === -1 ? oldest : oldest.slice(0, end)
      const last = expired.at(-1)
      if (!last) return 0
      await db
        .deleteFrom('audit_events')
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .where('id', '<=', last.id)
        .execute()
      await db
        .updateTable('audit_chain_heads')
        .set({ anchor_hash: last.hash })
        .where('company_id', '=', companyId)
        .where('kind', '=', kind)
        .execute()
      return expired.length
    },
  }
}

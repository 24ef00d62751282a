import type { AuditRepository, StoredAuditEvent } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import type { AuditEventsTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

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

/** Append-only: ids grow with every event, so id order is write order. */
export const auditRepository = ({ db }: RepositoryContext): AuditRepository => ({
  async append(event) {
    await db
      .insertInto('audit_events')
      .values({
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
        details: JSON.stringify(event.details),
      })
      .execute()
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
})

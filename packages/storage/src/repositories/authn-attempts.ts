import type { AttemptState, AuthnAttempt, AuthnAttemptRepository } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import type { AuthnAttemptsTable } from '../schema.js'
import { flag, type RepositoryContext, rowCount } from './context.js'

/** Expired attempts are swept this long after expiry, by later inserts. */
const SWEEP_AFTER_MS = 3_600_000

const toAttempt = (row: Selectable<AuthnAttemptsTable>): AuthnAttempt => ({
  id: row.id,
  companyId: row.company_id,
  agentKeyId: row.agent_key_id,
  userId: row.user_id,
  subjectName: row.subject_name,
  clientId: row.client_id,
  lastMessageId: row.last_message_id,
  timeoutSeconds: row.timeout_seconds,
  expiresAt: row.expires_at,
  keepAttempt: Boolean(row.keep_attempt),
  status: row.status,
  reasonCode: row.reason_code,
  successfulMethods: JSON.parse(row.successful_methods) as string[],
  state: JSON.parse(row.state) as AttemptState,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

export const authnAttemptRepository = ({
  db,
  engine,
}: RepositoryContext): AuthnAttemptRepository => ({
  async insert(attempt) {
    await db
      .deleteFrom('authn_attempts')
      .where('expires_at', '<', attempt.createdAt - SWEEP_AFTER_MS)
      .execute()
    await db
      .insertInto('authn_attempts')
      .values({
        id: attempt.id,
        company_id: attempt.companyId,
        agent_key_id: attempt.agentKeyId,
        user_id: attempt.userId,
        subject_name: attempt.subjectName,
        client_id: attempt.clientId,
        last_message_id: attempt.lastMessageId,
        timeout_seconds: attempt.timeoutSeconds,
        expires_at: attempt.expiresAt,
        keep_attempt: flag(engine, attempt.keepAttempt),
        status: attempt.status,
        reason_code: attempt.reasonCode,
        successful_methods: JSON.stringify(attempt.successfulMethods),
        state: JSON.stringify(attempt.state),
        created_at: attempt.createdAt,
        updated_at: attempt.updatedAt,
      })
      .execute()
  },

  async find(companyId, id) {
    const row = await db
      .selectFrom('authn_attempts')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toAttempt(row)
  },

  async claim(companyId, id, expected, next) {
    const result = await db
      .updateTable('authn_attempts')
      .set({ last_message_id: next.messageId, expires_at: next.expiresAt, updated_at: next.now })
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .where('last_message_id', '=', expected)
      .where('status', '=', 'CHALLENGE')
      .where('expires_at', '>', next.now)
      .executeTakeFirst()
    return rowCount(result) === 1
  },

  async update(companyId, id, change) {
    await db
      .updateTable('authn_attempts')
      .set({
        status: change.status,
        reason_code: change.reasonCode,
        successful_methods: JSON.stringify(change.successfulMethods),
        state: JSON.stringify(change.state),
        updated_at: change.updatedAt,
      })
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .execute()
  },

  async remove(companyId, id) {
    await db
      .deleteFrom('authn_attempts')
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .execute()
  },
})

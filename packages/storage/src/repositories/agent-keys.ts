import type { AgentKey, AgentKeyRepository } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import { prepared } from '../prepared.js'
import type { AgentKeysTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

const COLUMNS = ['id', 'company_id', 'description', 'created_at', 'revoked_at'] as const

const toAgentKey = (row: Pick<Selectable<AgentKeysTable>, (typeof COLUMNS)[number]>): AgentKey => ({
  id: row.id,
  companyId: row.company_id,
  description: row.description,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
})

const keyByHash = prepared((db, key: { keyHash: string }) =>
  db.selectFrom('agent_keys').select(COLUMNS).where('key_hash', '=', key.keyHash),
)

/** Agent keys are found by keyed hash only; the hash is never selected back out. */
export const agentKeyRepository = (context: RepositoryContext): AgentKeyRepository => {
  const { db } = context
  return {
    async insert(key) {
      await db
        .insertInto('agent_keys')
        .values({
          id: key.id,
          company_id: key.companyId,
          key_hash: key.keyHash,
          description: key.description,
          created_at: key.createdAt,
          revoked_at: key.revokedAt,
        })
        .execute()
    },

    async findByHash(keyHash) {
      const row = await keyByHash.first(context, { keyHash })
      return row && toAgentKey(row)
    },

    async list(companyId) {
      const rows = await db
        .selectFrom('agent_keys')
        .select(COLUMNS)
        .where('company_id', '=', companyId)
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toAgentKey)
    },

    async revoke(companyId, id, at) {
      await db
        .updateTable('agent_keys')
        .set({ revoked_at: at })
        .where('company_id', '=', companyId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute()
      const row = await db
        .selectFrom('agent_keys')
        .select(COLUMNS)
        .where('company_id', '=', companyId)
        .where('id', '=', id)
        .executeTakeFirst()
      return row && toAgentKey(row)
    },
  }
}

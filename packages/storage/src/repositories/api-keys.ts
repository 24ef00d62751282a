import type { ApiKey, ApiKeyRepository } from '@tokendesk/core'
import { type Selectable, sql } from 'kysely'
import { prepared } from '../prepared.js'
import type { ApiKeysTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

export const toApiKey = (row: Selectable<ApiKeysTable>): ApiKey => ({
  accessId: row.access_id,
  companyId: row.company_id,
  role: row.role,
  description: row.description,
  publicKeyPem: row.public_key,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
})

const keyByAccessId = prepared((db, key: { accessId: string }) =>
  db.selectFrom('api_keys').selectAll().where('access_id', '=', key.accessId),
)

/** API keys are found by their globally unique accessID; everything else is company-scoped. */
export const apiKeyRepository = (context: RepositoryContext): ApiKeyRepository => {
  const { db } = context
  return {
    async insert(key) {
      await db
        .insertInto('api_keys')
        .values({
          access_id: key.accessId,
          company_id: key.companyId,
          role: key.role,
          description: key.description,
          public_key: key.publicKeyPem,
          created_at: key.createdAt,
          last_used_at: key.lastUsedAt,
          revoked_at: key.revokedAt,
        })
        .execute()
    },

    async findByAccessId(accessId) {
      const row = await keyByAccessId.first(context, { accessId })
      return row && toApiKey(row)
    },

    async list(companyId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('company_id', '=', companyId)
        .orderBy('created_at')
        .orderBy('access_id')
        .execute()
      return rows.map(toApiKey)
    },

    async countActive(companyId) {
      const { count } = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('company_id', '=', companyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(count)
    },

    /** One statement; `coalesce` keeps the first revocation time. */
    async revoke(companyId, accessId, at) {
      const row = await db
        .updateTable('api_keys')
        .set({ revoked_at: sql<number>`coalesce(revoked_at, ${at})` })
        .where('company_id', '=', companyId)
        .where('access_id', '=', accessId)
        .returningAll()
        .executeTakeFirst()
      return row && toApiKey(row)
    },

    async touch(accessId, at) {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('access_id', '=', accessId)
        .execute()
    },
  }
}

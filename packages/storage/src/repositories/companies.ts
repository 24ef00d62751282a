import { type Company, type CompanyRepository, withDefaults } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import { prepared } from '../prepared.js'
import type { CompaniesTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

/** Settings are read through `withDefaults`, so rows written before a setting existed gain it. */
export const toCompany = (row: Selectable<CompaniesTable>): Company => ({
  id: row.id,
  name: row.name,
  settings: withDefaults(JSON.parse(row.settings)),
  createdAt: row.created_at,
})

const companyById = prepared((db, key: { id: string }) =>
  db.selectFrom('companies').selectAll().where('id', '=', key.id),
)

export const companyRepository = (context: RepositoryContext): CompanyRepository => {
  const { db } = context
  return {
    async insert(company) {
      await db
        .insertInto('companies')
        .values({
          id: company.id,
          name: company.name,
          settings: JSON.stringify(company.settings),
          created_at: company.createdAt,
        })
        .execute()
    },

    async findById(id) {
      const row = await companyById.first(context, { id })
      return row && toCompany(row)
    },

    async findByName(name) {
      const row = await db
        .selectFrom('companies')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst()
      return row && toCompany(row)
    },

    async count() {
      const { count } = await db
        .selectFrom('companies')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow()
      return Number(count)
    },

    async updateSettings(id, settings) {
      await db
        .updateTable('companies')
        .set({ settings: JSON.stringify(settings) })
        .where('id', '=', id)
        .execute()
    },
  }
}

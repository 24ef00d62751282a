import type { User, UserRepository } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import { mapDriverError } from '../driver-errors.js'
import type { UsersTable } from '../schema.js'
import type { RepositoryContext } from './context.js'

export const toUser = (row: Selectable<UsersTable>): User => ({
  id: row.id,
  companyId: row.company_id,
  emailAddress: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
  userStatus: row.status,
  smsNumber: row.sms_number,
  voiceNumber: row.voice_number,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
})

/** Email addresses keep their case; `email_lower` carries lookups and uniqueness. */
export const userRepository = ({ db, engine }: RepositoryContext): UserRepository => ({
  async insert(user) {
    try {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          company_id: user.companyId,
          email: user.emailAddress,
          email_lower: user.emailAddress.toLowerCase(),
          first_name: user.firstName,
          last_name: user.lastName,
          status: user.userStatus,
          sms_number: user.smsNumber,
          voice_number: user.voiceNumber,
          created_at: user.createdAt,
          updated_at: user.updatedAt,
        })
        .execute()
    } catch (error) {
      throw mapDriverError(error, { email: user.emailAddress })
    }
  },

  async findById(companyId, id, options) {
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .$if(options?.forUpdate === true && engine === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst()
    return row && toUser(row)
  },

  async findByEmail(companyId, email) {
    const row = await db
      .selectFrom('users')
      .selectAll()
      .where('company_id', '=', companyId)
      .where('email_lower', '=', email.toLowerCase())
      .executeTakeFirst()
    return row && toUser(row)
  },

  async updateStatus(companyId, id, status, at) {
    await db
      .updateTable('users')
      .set({ status, updated_at: at })
      .where('company_id', '=', companyId)
      .where('id', '=', id)
      .execute()
  },
})

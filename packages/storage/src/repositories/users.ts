import type { User, UserRepository } from '@tokendesk/core'
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
} from 'kysely'
import * as pgJson from 'kysely/helpers/postgres'
import * as sqliteJson from 'kysely/helpers/sqlite'
import type { Engine } from '../database.js'
import { mapDriverError } from '../driver-errors.js'
import { prepared } from '../prepared.js'
import type { Database, UsersTable } from '../schema.js'
import { chunks, type RepositoryContext } from './context.js'
import { latestCodeRow, latestOf } from './emergency-codes.js'
import { lockRows, lockStates } from './locks.js'

export const toUser = (row: Omit<Selectable<UsersTable>, 'deleted_at'>): User => ({
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

const toRow = (user: User) => ({
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

/** `%`, `_` and the escape character itself match only themselves in `like … escape '\'`. */
const likeSubstring = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`

/**
 * `email_lower` in code-point order on both engines: SQLite compares text bytewise (BINARY) and
 * PostgreSQL does with `COLLATE "C"` (its default collation would order `a.b` and `ab` by locale
 * rules). Keyset paging compares with the same collation it orders by.
 */
const emailKey = (engine: Engine) =>
  engine === 'postgres' ? sql<string>`email_lower collate "C"` : sql<string>`email_lower`

type UserKey = { companyId: string; id: string }
const byId = (db: Kysely<Database>, key: UserKey) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', key.companyId)
    .where('id', '=', key.id)
    .where('deleted_at', 'is', null)
const userById = prepared(byId)
const userByIdForUpdate = prepared((db, key: UserKey) => byId(db, key).forUpdate())
const userByEmail = prepared((db, key: { companyId: string; emailLower: string }) =>
  db
    .selectFrom('users')
    .selectAll()
    .where('company_id', '=', key.companyId)
    .where('email_lower', '=', key.emailLower)
    .where('deleted_at', 'is', null),
)

/**
 * An array or object aggregated as JSON: text from SQLite, parsed already by pg from PostgreSQL
 * (so never for a JSON value that is itself a string).
 */
const fromJson = <T>(value: T): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value)

/**
 * User Details' three reads in one statement: the user, its lock rows (as `locks.list` reads
 * them) and its latest emergency code by issue time (as `emergencyCodes.findLatest` reads it),
 * the two aggregated as JSON by the engine's own functions (Kysely's helpers per dialect).
 */
const outerCompanyId = sql.ref<string>('users.company_id')
const outerUserId = sql.ref<string>('users.id')
const detailsByEmail = (json: typeof sqliteJson) =>
  prepared((db, key: { companyId: string; emailLower: string }) =>
    db
      .selectFrom('users')
      .selectAll('users')
      .select([
        json.jsonArrayFrom(lockRows(db, outerCompanyId, outerUserId)).as('locks'),
        json.jsonObjectFrom(latestCodeRow(db, outerCompanyId, outerUserId)).as('latest_code'),
      ])
      .where('users.company_id', '=', key.companyId)
      .where('users.email_lower', '=', key.emailLower)
      .where('users.deleted_at', 'is', null),
  )
const detailsByEmailOn = { sqlite: detailsByEmail(sqliteJson), postgres: detailsByEmail(pgJson) }

/**
 * Email addresses keep their case; `email_lower` carries lookups and uniqueness. Deleted users
 * (`deleted_at` set, `email_lower` rewritten to `deleted:<id>`) are invisible to every lookup.
 */
export const userRepository = (context: RepositoryContext): UserRepository => {
  const { db, engine } = context
  return {
    async insert(user) {
      try {
        await db.insertInto('users').values(toRow(user)).execute()
      } catch (error) {
        throw mapDriverError(error, { email: user.emailAddress })
      }
    },

    async insertMany(users) {
      for (const chunk of chunks(users, 400)) {
        await db.insertInto('users').values(chunk.map(toRow)).execute()
      }
    },

    async existingEmails(companyId, emails) {
      const found: string[] = []
      for (const chunk of chunks([...new Set(emails.map((email) => email.toLowerCase()))])) {
        const rows = await db
          .selectFrom('users')
          .select('email_lower')
          .where('company_id', '=', companyId)
          .where('email_lower', 'in', chunk)
          .execute()
        for (const row of rows) found.push(row.email_lower)
      }
      return found
    },

    async updateProfile(companyId, id, patch, at) {
      await db
        .updateTable('users')
        .set({
          ...(patch.firstName !== undefined && { first_name: patch.firstName }),
          ...(patch.lastName !== undefined && { last_name: patch.lastName }),
          ...(patch.smsNumber !== undefined && { sms_number: patch.smsNumber }),
          ...(patch.voiceNumber !== undefined && { voice_number: patch.voiceNumber }),
          updated_at: at,
        })
        .where('company_id', '=', companyId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .execute()
    },

    async markDeleted(companyId, id, at) {
      await db
        .updateTable('users')
        .set({ deleted_at: at, updated_at: at, email_lower: `deleted:${id}` })
        .where('company_id', '=', companyId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .execute()
    },

    async searchByEmail(companyId, query) {
      const key = emailKey(engine)
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where((eb) => matching(eb, companyId, query.emailLike))
        .$if(query.after !== undefined, (q) => q.where(key, '>', query.after ?? ''))
        .orderBy(key)
        .limit(query.limit)
        .$if(query.offset !== undefined && query.offset > 0, (q) => q.offset(query.offset ?? 0))
        .execute()
      return rows.map(toUser)
    },

    async countByEmail(companyId, emailLike, options) {
      const key = emailKey(engine)
      const { count } = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where((eb) => matching(eb, companyId, emailLike))
        .$if(options?.through !== undefined, (q) => q.where(key, '<=', options?.through ?? ''))
        .executeTakeFirstOrThrow()
      return Number(count)
    },

    async findById(companyId, id, options) {
      const query =
        options?.forUpdate === true && engine === 'postgres' ? userByIdForUpdate : userById
      const row = await query.first(context, { companyId, id })
      return row && toUser(row)
    },

    async findByEmail(companyId, email) {
      const row = await userByEmail.first(context, { companyId, emailLower: email.toLowerCase() })
      return row && toUser(row)
    },

    async findDetailsByEmail(companyId, email) {
      const row = await detailsByEmailOn[engine].first(context, {
        companyId,
        emailLower: email.toLowerCase(),
      })
      if (row === undefined) return undefined
      const { locks, latest_code, ...user } = row
      return {
        user: toUser(user),
        locks: lockStates(fromJson(locks)),
        latestCode: await latestOf(context, companyId, user.id, fromJson(latest_code) ?? undefined),
      }
    },

    async updateStatus(companyId, id, status, at) {
      await db
        .updateTable('users')
        .set({ status, updated_at: at })
        .where('company_id', '=', companyId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .execute()
    },
  }
}

/** Live users of the company whose email contains `emailLike` (case-insensitively). */
const matching = (
  eb: ExpressionBuilder<Database, 'users'>,
  companyId: string,
  emailLike: string,
): Expression<SqlBool> =>
  eb.and([
    eb('company_id', '=', companyId),
    eb('deleted_at', 'is', null),
    ...(emailLike === ''
      ? []
      : [sql<SqlBool>`email_lower like ${likeSubstring(emailLike)} escape '\\'`]),
  ])

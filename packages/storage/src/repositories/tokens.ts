import type { HardwareToken, TokenRepository } from '@tokendesk/core'
import type { Selectable } from 'kysely'
import type { TokensTable } from '../schema.js'
import { chunks, flag, type RepositoryContext } from './context.js'

/** Every column but `seed_ciphertext`, which only authentication reads. */
const COLUMNS = [
  'id',
  'company_id',
  'serial',
  'name',
  'algorithm',
  'digits',
  'period',
  'state',
  'status',
  'status_changed_by',
  'status_changed_at',
  'assigned_user_id',
  'assigned_at',
  'assigned_by',
  'pin_set',
  'created_at',
] as const

export const toToken = (
  row: Pick<Selectable<TokensTable>, (typeof COLUMNS)[number]>,
): HardwareToken => ({
  id: row.id,
  companyId: row.company_id,
  serial: row.serial,
  name: row.name,
  algorithm: row.algorithm,
  digits: row.digits,
  period: row.period,
  state: row.state,
  status: row.status,
  statusChangedBy: row.status_changed_by,
  statusChangedAt: row.status_changed_at,
  assignedUserId: row.assigned_user_id,
  assignedAt: row.assigned_at,
  assignedBy: row.assigned_by,
  pinSet: Boolean(row.pin_set),
  createdAt: row.created_at,
})

/** Serials are text: `000123` and `123` are different tokens. */
export const tokenRepository = ({ db, engine }: RepositoryContext): TokenRepository => ({
  /** Several statements: all-or-nothing only inside `store.transaction`. */
  async insertMany(tokens) {
    for (const chunk of chunks(tokens)) {
      await db
        .insertInto('tokens')
        .values(
          chunk.map((token) => ({
            id: token.id,
            company_id: token.companyId,
            serial: token.serial,
            name: token.name,
            seed_ciphertext: token.seedCiphertext,
            algorithm: token.algorithm,
            digits: token.digits,
            period: token.period,
            state: token.state,
            status: token.status,
            status_changed_by: token.statusChangedBy,
            status_changed_at: token.statusChangedAt,
            assigned_user_id: token.assignedUserId,
            assigned_at: token.assignedAt,
            assigned_by: token.assignedBy,
            pin_set: flag(engine, token.pinSet),
            created_at: token.createdAt,
          })),
        )
        .execute()
    }
  },

  async existingSerials(companyId, serials) {
    const found: string[] = []
    for (const chunk of chunks([...new Set(serials)])) {
      const rows = await db
        .selectFrom('tokens')
        .select('serial')
        .where('company_id', '=', companyId)
        .where('serial', 'in', chunk)
        .execute()
      for (const row of rows) found.push(row.serial)
    }
    return found
  },

  async findBySerial(companyId, serial, options) {
    const row = await db
      .selectFrom('tokens')
      .select(COLUMNS)
      .where('company_id', '=', companyId)
      .where('serial', '=', serial)
      .$if(options?.forUpdate === true && engine === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst()
    return row && toToken(row)
  },

  async countAssigned(companyId, userId) {
    const { count } = await db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('company_id', '=', companyId)
      .where('assigned_user_id', '=', userId)
      .executeTakeFirstOrThrow()
    return Number(count)
  },

  async listAssigned(companyId, userId) {
    const rows = await db
      .selectFrom('tokens')
      .select(COLUMNS)
      .where('company_id', '=', companyId)
      .where('assigned_user_id', '=', userId)
      .orderBy('assigned_at')
      .orderBy('serial')
      .execute()
    return rows.map(toToken)
  },

  async assign(companyId, serial, change) {
    await db
      .updateTable('tokens')
      .set({
        assigned_user_id: change.userId,
        assigned_at: change.at,
        assigned_by: change.by,
        name: change.name,
        state: 'Activation Pending',
      })
      .where('company_id', '=', companyId)
      .where('serial', '=', serial)
      .execute()
  },

  async setStatus(companyId, serial, change) {
    await db
      .updateTable('tokens')
      .set({
        status: change.status,
        status_changed_at: change.at,
        status_changed_by: change.by,
      })
      .where('company_id', '=', companyId)
      .where('serial', '=', serial)
      .execute()
  },
})

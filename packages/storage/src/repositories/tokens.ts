import type { HardwareToken, TokenRepository, TokenState, TokenStatus } from '@tokendesk/core'
import { type Kysely, type Selectable, sql } from 'kysely'
import type { Engine } from '../database.js'
import { prepared } from '../prepared.js'
import type { Database, TokensTable } from '../schema.js'
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

type SerialKey = { companyId: string; serial: string }

const bySerial = (db: Kysely<Database>, key: SerialKey) =>
  db
    .selectFrom('tokens')
    .select(COLUMNS)
    .where('company_id', '=', key.companyId)
    .where('serial', '=', key.serial)
const tokenBySerial = prepared(bySerial)
const tokenBySerialForUpdate = prepared((db, key: SerialKey) => bySerial(db, key).forUpdate())

const assignedTokens = prepared((db, key: { companyId: string; userId: string }) =>
  db
    .selectFrom('tokens')
    .select(COLUMNS)
    .where('company_id', '=', key.companyId)
    .where('assigned_user_id', '=', key.userId)
    .orderBy('assigned_at')
    .orderBy('serial'),
)

const updateStatus = prepared(
  (db, change: SerialKey & { status: TokenStatus; at: number; by: string | null }) =>
    db
      .updateTable('tokens')
      .set({
        status: change.status,
        status_changed_at: change.at,
        status_changed_by: change.by,
      })
      .where('company_id', '=', change.companyId)
      .where('serial', '=', change.serial),
)

const tokenSecret = prepared((db, key: SerialKey) =>
  db
    .selectFrom('tokens')
    .select(['seed_ciphertext', 'pin_hash', 'last_used_step', 'drift_steps'])
    .where('company_id', '=', key.companyId)
    .where('serial', '=', key.serial),
)

/** The replay check is the WHERE clause: of two uses of one step, one changes the row. */
const updateUse = prepared((db, use: SerialKey & { step: number; drift: number }) =>
  db
    .updateTable('tokens')
    .set({
      last_used_step: use.step,
      drift_steps: use.drift,
      state: sql<TokenState>`case when state = 'Activation Pending' then 'Activated' else state end`,
    })
    .where('company_id', '=', use.companyId)
    .where('serial', '=', use.serial)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', use.step)])),
)

/** Serials are text: `000123` and `123` are different tokens. */
export const tokenRepository = (context: RepositoryContext): TokenRepository => {
  const { db, engine } = context
  return {
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
      const query =
        options?.forUpdate === true && engine === 'postgres'
          ? tokenBySerialForUpdate
          : tokenBySerial
      const row = await query.first(context, { companyId, serial })
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
      const rows = await assignedTokens.rows(context, { companyId, userId })
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

    async unassign(companyId, serial, change) {
      await unassignWhere(db, engine, change)
        .where('company_id', '=', companyId)
        .where('serial', '=', serial)
        .execute()
    },

    async unassignAll(companyId, userId, change) {
      const rows = await unassignWhere(db, engine, change)
        .where('company_id', '=', companyId)
        .where('assigned_user_id', '=', userId)
        .returning('serial')
        .execute()
      return rows.map((row) => row.serial).sort()
    },

    async clearPin(companyId, serial) {
      await db
        .updateTable('tokens')
        .set({ pin_set: flag(engine, false), pin_hash: null })
        .where('company_id', '=', companyId)
        .where('serial', '=', serial)
        .execute()
    },

    async remove(companyId, serial) {
      await db
        .deleteFrom('tokens')
        .where('company_id', '=', companyId)
        .where('serial', '=', serial)
        .execute()
    },

    async setStatus(companyId, serial, change) {
      await updateStatus.affected(context, { ...change, companyId, serial })
    },

    async findSecret(companyId, serial) {
      const row = await tokenSecret.first(context, { companyId, serial })
      return (
        row && {
          seedCiphertext: new Uint8Array(row.seed_ciphertext),
          pinHash: row.pin_hash,
          lastUsedStep: row.last_used_step,
          driftSteps: row.drift_steps,
        }
      )
    },

    recordUse: async (companyId, serial, use) =>
      (await updateUse.affected(context, { ...use, companyId, serial })) === 1,

    async setPin(companyId, serial, pinHash) {
      await db
        .updateTable('tokens')
        .set({ pin_hash: pinHash, pin_set: flag(engine, true) })
        .where('company_id', '=', companyId)
        .where('serial', '=', serial)
        .execute()
    },
  }
}

/**
 * The update that unassigns: `Unassigned`, `Disabled`, no holder, no PIN. The status change time
 * and author move only for a token that was `Enabled` (one statement, so no read-then-write race).
 */
const unassignWhere = (
  db: Kysely<Database>,
  engine: Engine,
  change: { at: number; by: string | null },
) =>
  db.updateTable('tokens').set({
    state: 'Unassigned',
    status: 'Disabled',
    status_changed_at: sql<
      number | null
    >`case when status = 'Enabled' then ${change.at} else status_changed_at end`,
    status_changed_by: sql<
      string | null
    >`case when status = 'Enabled' then ${change.by} else status_changed_by end`,
    assigned_user_id: null,
    assigned_at: null,
    assigned_by: null,
    pin_set: flag(engine, false),
    pin_hash: null,
  })

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createStore, type KyselyStore } from '../src/index.js'
import { prepared } from '../src/prepared.js'

const PG_URL = process.env.TOKENDESK_TEST_DATABASE_URL
const dir = mkdtempSync(join(tmpdir(), 'tokendesk-prepared-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const byName = prepared((db, args: { name: string }) =>
  db.selectFrom('companies').select(['id', 'name']).where('name', '=', args.name),
)
const rename = prepared((db, args: { id: string; name: string }) =>
  db.updateTable('companies').set({ name: args.name }).where('id', '=', args.id),
)

const schema = `td_test_${randomBytes(6).toString('hex')}`
const engines: [string, () => Promise<KyselyStore>][] = [
  ['SQLite', () => createStore(`sqlite:${join(dir, 'prepared.db')}`)],
]
if (PG_URL) engines.push(['PostgreSQL', () => createStore(PG_URL, { schema })])

describe.each(engines)('prepared queries on %s', (_, open) => {
  it('run with each call’s arguments, in and out of transactions', async () => {
    const store = await open()
    try {
      const target = { db: store.db, engine: store.engine }
      for (const name of ['Acme', 'Globex']) {
        await store.read.companies.insert({
          id: name.toLowerCase(),
          name,
          settings: {} as never,
          createdAt: 1,
        })
      }
      expect(await byName.rows(target, { name: 'Acme' })).toEqual([{ id: 'acme', name: 'Acme' }])
      expect(await byName.first(target, { name: 'Globex' })).toEqual({
        id: 'globex',
        name: 'Globex',
      })
      expect(await byName.first(target, { name: 'Initech' })).toBeUndefined()
      await store.db.transaction().execute(async (trx) => {
        const inside = { db: trx, engine: store.engine }
        expect(await rename.affected(inside, { id: 'acme', name: 'Acme Corp' })).toBe(1)
        expect(await rename.affected(inside, { id: 'nobody', name: 'x' })).toBe(0)
      })
      expect(await byName.first(target, { name: 'Acme Corp' })).toEqual({
        id: 'acme',
        name: 'Acme Corp',
      })
    } finally {
      if (store.engine === 'postgres') {
        await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db)
      }
      await store.close()
    }
  })
})

describe('a misused prepared query fails its first run', () => {
  it('when it computes with an argument (naming it) or spreads its arguments', async () => {
    const store = await createStore(`sqlite:${join(dir, 'misuse.db')}`)
    try {
      const target = { db: store.db, engine: store.engine }
      const computed = prepared((db, args: { name: string }) =>
        db.selectFrom('companies').selectAll().where('name', '=', `${args.name}`),
      )
      await expect(computed.rows(target, { name: 'Acme' })).rejects.toThrow(
        /name is not a parameter/,
      )
      const spread = prepared((db, args: { id: string; name: string }) =>
        db.insertInto('companies').values({ ...args, settings: '{}', created_at: 1 }),
      )
      await expect(spread.affected(target, { id: 'x', name: 'X' })).rejects.toThrow(/never spread/)
    } finally {
      await store.close()
    }
  })
})

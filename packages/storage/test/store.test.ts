import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AuditAction, type AuditEvent, DomainError } from '@tokendesk/core'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { mapDriverError } from '../src/driver-errors.js'
import { createStore, type KyselyStore, migrateToLatest, openDatabase } from '../src/index.js'
import { migrations } from '../src/migrations/index.js'
import { describeStoreContract } from './store.contract.js'

const PG_URL = process.env.TOKENDESK_TEST_DATABASE_URL

// SQLite always: a fresh file per store, in a folder that does not exist yet.
const dir = mkdtempSync(join(tmpdir(), 'tokendesk-storage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const sqliteUrl = () => `sqlite:${join(dir, `db-${++files}`, 'tokendesk.db')}`

describeStoreContract('storage contract: SQLite', (options) => createStore(sqliteUrl(), options))

describe('SQLite', () => {
  it('creates the folder, keeps data across a reopen, and migrates only once', async () => {
    const url = sqliteUrl()
    const first = await createStore(url)
    expect(existsSync(url.slice('sqlite:'.length))).toBe(true)
    await first.read.companies.insert({
      id: 'c1',
      name: 'Acme',
      settings: defaults(),
      createdAt: 1,
    })
    await first.close()
    await first.close() // idempotent

    const second = await createStore(url)
    try {
      expect(await second.read.companies.findByName('Acme')).toMatchObject({ id: 'c1' })
      const pragmas = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(second.db)
      expect(pragmas.rows[0]?.journal_mode).toBe('wal')
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(second.db)
      expect(fk.rows[0]?.foreign_keys).toBe(1)
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(second.db)
      expect(sync.rows[0]?.synchronous).toBe(2) // FULL
      const temp = await sql<{ temp_store: number }>`pragma temp_store`.execute(second.db)
      expect(temp.rows[0]?.temp_store).toBe(2) // MEMORY
    } finally {
      await second.close()
    }
  })

  it('lets a read-then-write transaction survive another process writing (BEGIN IMMEDIATE)', async () => {
    // With a deferred BEGIN, the transaction's read pins a WAL snapshot; once another process
    // commits, the transaction's first write fails with SQLITE_BUSY_SNAPSHOT (no busy wait).
    // BEGIN IMMEDIATE takes the write lock up front, so the other process waits instead.
    const url = sqliteUrl()
    const store = await createStore(url)
    try {
      const companyId = 'c-cross-process'
      let writer: ChildProcess | undefined
      await store.transaction(async (tx) => {
        await tx.audit.list(companyId)
        writer = spawnWriter(url.slice('sqlite:'.length), companyId)
        await once(writer.stdout as NodeJS.ReadableStream, 'data') // about to write
        await new Promise((resolve) => setTimeout(resolve, 300))
        await tx.audit.append(auditEvent(companyId, 'company.created'))
      })
      const [code] = (await once(writer as ChildProcess, 'exit')) as [number]
      expect(code).toBe(0)
      const actions = (await store.read.audit.list(companyId)).map((e) => e.action)
      expect(actions).toEqual(['company.created', 'user.created'])
    } finally {
      await store.close()
    }
  })

  it('reads on a connection of their own: every acknowledged write, nothing uncommitted, no wait', async () => {
    const url = sqliteUrl()
    const store = await createStore(url)
    const cli = await createStore(url) // another process on the same file, as the CLI is
    try {
      const company = (id: string) => ({ id, name: id, settings: defaults(), createdAt: 1 })
      await store.read.companies.insert(company('c1'))
      expect(await store.read.companies.findById('c1')).toMatchObject({ id: 'c1' })

      // Inside a batch: the reader sees the committed state only, and answers at once (with one
      // connection it would wait for the batch: a deadlock here). In the same event-loop turn,
      // the commit ends that read transaction, so the next read sees the new row.
      let inside: unknown = 'not read'
      await store.transaction(async (tx) => {
        await tx.companies.insert(company('c2'))
        inside = await store.read.companies.findById('c2')
      })
      expect(inside).toBeUndefined()
      expect(await store.read.companies.findById('c2')).toMatchObject({ id: 'c2' })

      // Another process's commit is seen from the next turn of the event loop on.
      expect(await store.read.companies.findById('c3')).toBeUndefined()
      await cli.read.companies.insert(company('c3'))
      await new Promise((resolve) => setImmediate(resolve))
      expect(await store.read.companies.findById('c3')).toMatchObject({ id: 'c3' })

      // Within a turn, reads share a snapshot; refreshReads makes the next one see every commit.
      const other = new Database(url.slice('sqlite:'.length))
      try {
        expect(await store.read.companies.findById('c4')).toBeUndefined()
        other
          .prepare('insert into companies (id, name, settings, created_at) values (?, ?, ?, ?)')
          .run('c4', 'c4', JSON.stringify(defaults()), 1)
        expect(await store.read.companies.findById('c4')).toBeUndefined()
        store.refreshReads()
        expect(await store.read.companies.findById('c4')).toMatchObject({ id: 'c4' })
      } finally {
        other.close()
      }

      // A write outside a transaction that returns rows (run with `all`) is a commit too.
      expect(await store.read.companies.findById('c5')).toBeUndefined()
      await store.db
        .insertInto('companies')
        .values({ id: 'c5', name: 'c5', settings: JSON.stringify(defaults()), created_at: 1 })
        .returning('id')
        .execute()
      expect(await store.read.companies.findById('c5')).toMatchObject({ id: 'c5' })
    } finally {
      await cli.close()
      await store.close()
    }
  })

  it('opens sqlite::memory:', async () => {
    const store = await createStore('sqlite::memory:')
    expect(store.engine).toBe('sqlite')
    expect(await store.read.companies.count()).toBe(0)
    await store.close()
  })

  it('refuses an unknown URL scheme', async () => {
    await expect(createStore('mysql://localhost/x')).rejects.toThrow(/Unsupported database URL/)
  })
})

describe('PostgreSQL unreachable', () => {
  // Port 1 on loopback refuses connections: no PostgreSQL is needed for this.
  const url = 'postgres://postgres@127.0.0.1:1/none'

  it('fails ping with STORAGE_UNAVAILABLE', async () => {
    const store = await createStore(url, { migrate: false, connectTimeoutMs: 1_000 })
    try {
      const error = await store.ping().catch((e) => e)
      expect(error).toBeInstanceOf(DomainError)
      expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE' })
      await expect(store.read.companies.count()).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      })
      await expect(store.transaction(async () => 1)).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      })
    } finally {
      await store.close()
    }
  })

  it('fails opening with migrations with STORAGE_UNAVAILABLE', async () => {
    await expect(createStore(url, { connectTimeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    })
  })

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => openDatabase(url, { schema: 'x; drop table y' })).toThrow(/schema name/)
  })
})

if (PG_URL === undefined || PG_URL === '') {
  console.warn(
    'TOKENDESK_TEST_DATABASE_URL is not set: skipping the PostgreSQL storage contract suite',
  )
  describe.skip('storage contract: PostgreSQL (TOKENDESK_TEST_DATABASE_URL is not set)', () => {
    it('runs against a real PostgreSQL', () => {})
  })
} else {
  // Each store gets its own schema (the connections' search_path); all are dropped at the end.
  const schemas: string[] = []
  const newSchema = () => {
    const schema = `td_test_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    return schema
  }
  afterAll(async () => {
    const db = openDatabase(PG_URL)
    try {
      for (const schema of schemas) {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db)
      }
    } finally {
      await db.destroy()
    }
  })

  describeStoreContract('storage contract: PostgreSQL', (options) =>
    createStore(PG_URL, { ...options, schema: newSchema() }),
  )

  describe('PostgreSQL', () => {
    it('keeps data across a reopen, migrates only once, and parses int8 as numbers', async () => {
      const schema = newSchema()
      const first = await createStore(PG_URL, { schema })
      expect(first.engine).toBe('postgres')
      await first.read.companies.insert({
        id: 'c1',
        name: 'Acme',
        settings: defaults(),
        createdAt: 1_700_000_000_123,
      })
      await first.close()

      const second = await createStore(PG_URL, { schema, poolSize: 2, statementTimeoutMs: 1_000 })
      try {
        expect(await second.read.companies.findByName('Acme')).toMatchObject({
          createdAt: 1_700_000_000_123,
        })
        const { rows } = await sql<{ n: unknown }>`select count(*) as n from companies`.execute(
          second.db,
        )
        expect(rows[0]?.n).toBe(1)
      } finally {
        await second.close()
      }
    })

    it('lets several nodes open and migrate the same empty schema at once', async () => {
      const schema = newSchema()
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => createStore(PG_URL, { schema, migrate: false })),
      )
      try {
        const runs = await Promise.all(stores.map((store) => migrateToLatest(store.db)))
        const all = Object.keys(await migrations('postgres').getMigrations()).sort()
        expect(runs.filter((run) => run.applied.length > 0)).toEqual([
          { applied: all, current: all.at(-1) },
        ])
        expect(runs.every((run) => run.current === all.at(-1))).toBe(true)
      } finally {
        await Promise.all(stores.map((store) => store.close()))
      }
    })

    it("waits for another node's migrations longer than statement_timeout", async () => {
      // Kysely's migration lock (PostgresAdapter): held here as another node would hold it.
      const lock = sql`3853314791062309107`
      const holder = openDatabase(PG_URL)
      try {
        await holder.connection().execute(async (conn) => {
          await sql`select pg_advisory_lock(${lock})`.execute(conn)
          let opening: Promise<KyselyStore> | undefined
          try {
            opening = createStore(PG_URL, { schema: newSchema(), statementTimeoutMs: 200 })
            opening.catch(() => {}) // awaited below
            await new Promise((resolve) => setTimeout(resolve, 800))
          } finally {
            await sql`select pg_advisory_unlock(${lock})`.execute(conn)
          }
          const store = await opening
          await store.close()
        })
      } finally {
        await holder.destroy()
      }
    })

    it('applies statement_timeout; a timed-out statement maps to STORAGE_UNAVAILABLE', async () => {
      const store = await createStore(PG_URL, { schema: newSchema(), statementTimeoutMs: 200 })
      try {
        const error = await sql`select pg_sleep(2)`.execute(store.db).catch((e) => e)
        expect(error).toMatchObject({ code: '57014' })
        expect(mapDriverError(error)).toMatchObject({ code: 'STORAGE_UNAVAILABLE', cause: error })
      } finally {
        await store.close()
      }
    })
  })
}

const defaults = () => ({
  emergencyAccessCode: {
    expiryValue: 3,
    expiryUnit: 'days' as const,
    oneTimeUse: false,
    locked: false,
    length: 8,
    alphabet: 'ALPHANUMERIC' as const,
    offlineEnabled: true,
    offlineValidityDays: 7,
  },
  lockout: { maxFailedAttempts: 3, autoUnlockAfterMinutes: null },
  rateLimit: { requestsPerSecond: 50, burst: 100 },
})

/** Another process (think: the CLI) that appends an audit row to the same SQLite file. */
const spawnWriter = (path: string, companyId: string): ChildProcess =>
  spawn(
    process.execPath,
    [
      '-e',
      `const db = require('better-sqlite3')(process.argv[1])
      db.pragma('busy_timeout = 5000')
      process.stdout.write('ready\\n')
      db.prepare("insert into audit_events (company_id, at, action, actor_type, result, details) values (?, 1, 'user.created', 'cli', 'success', '{}')").run(process.argv[2])
      db.close()`,
      path,
      companyId,
    ],
    { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] },
  )

const auditEvent = (companyId: string, action: AuditAction): AuditEvent => ({
  companyId,
  at: 1,
  action,
  actor: { type: 'cli', id: null, role: null },
  targetType: null,
  targetId: null,
  result: 'success',
  reason: null,
  requestId: null,
  sourceIp: null,
  details: {},
})

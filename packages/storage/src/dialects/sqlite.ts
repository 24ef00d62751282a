import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
} from 'kysely'

/** How long a statement waits for another process's write lock before `SQLITE_BUSY`. */
const BUSY_TIMEOUT_MS = 5_000

/**
 * One SQLite database file as this process opens it: the writer connection (Kysely's dialect,
 * serialised by Kysely; every transaction and every write) and, for a file, a reader connection
 * for `store.read` (see {@link SnapshotReader}).
 */
export interface SqliteFile {
  dialect: SqliteDialect
  /** Opens the reader connection; `undefined` for `:memory:` (one connection). Call it once. */
  openReader(): SqliteReader | undefined
}

export interface SqliteReader {
  dialect: SqliteDialect
  /** Ends the current read transaction, once per event-loop turn (see SnapshotReader). */
  refresh(): void
  /** Closes the connection (also when Kysely never used it); idempotent. */
  close(): void
}

/**
 * SQLite through better-sqlite3.
 * - `journal_mode=WAL`: readers never block the writer (the CLI may share the file).
 * - `synchronous=FULL`: a committed change is on disk before the caller hears of it.
 * - `foreign_keys=ON`: SQLite leaves them off unless asked, per connection.
 * - `busy_timeout` is set first so that switching to WAL waits for another process's lock.
 * - `temp_store=MEMORY`: a group-commit batch keeps one savepoint per request, and SQLite saves
 *   the pages each savepoint changes in a statement journal; past 64 KiB that journal spilled
 *   to a temporary file created, written and deleted per batch. The journal holds one request's
 *   pages (it is emptied as each savepoint is released); sorts spill to files whatever the
 *   setting, and tokendesk makes no large temporary tables.
 */
export const sqliteFile = (path: string): SqliteFile => {
  if (path === '') throw new Error('The SQLite database URL names no file (sqlite:<path>).')
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new SqliteDatabase(path)
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = FULL')
    database.pragma('foreign_keys = ON')
    database.pragma('temp_store = MEMORY')
  } catch (error) {
    database.close()
    throw error
  }
  let reader: SnapshotReader | undefined
  const writer = statementCache(database, {
    // The reader's snapshot ends before anything the writer commits (see SnapshotReader).
    beforeCommit: () => reader?.end(),
  })
  return {
    dialect: new SqliteDialect({ database: writer }),
    openReader() {
      if (path === ':memory:') return undefined
      const opened = new SnapshotReader(path)
      reader = opened
      return {
        dialect: new ReaderDialect(opened),
        refresh: () => opened.refresh(),
        close: () => opened.close(),
      }
    },
  }
}

/** Prepared statements kept per SQL text; past this many distinct texts the cache starts over. */
const STATEMENT_CACHE_LIMIT = 500

/** `COMMIT` / `END`, however Kysely or tokendesk spells it. */
const COMMIT = /^\s*(commit|end)\b/i

/**
 * Kysely prepares every query anew; preparing costs more than running most of tokendesk's
 * single-row statements. Statements are reused per SQL text (better-sqlite3 statements are
 * reusable, and a connection never runs two at once). Texts that vary (IN lists, multi-row
 * inserts) are bounded by the limit.
 *
 * With `beforeCommit`, a statement that commits — `COMMIT`, or any write outside a transaction
 * (it commits by itself, whether Kysely runs it with `run` or, returning rows, with `all`) —
 * calls it first.
 */
const statementCache = (
  database: SqliteDatabase.Database,
  hooks: { beforeCommit?: () => void } = {},
) => {
  const statements = new Map<string, SqliteDatabase.Statement>()
  const { beforeCommit } = hooks
  const prepare = (text: string): SqliteDatabase.Statement => {
    let statement = statements.get(text)
    if (statement === undefined) {
      statement = database.prepare(text)
      if (beforeCommit && (!statement.readonly || COMMIT.test(text))) {
        const commits = COMMIT.test(text)
        const { run, all } = statement
        const before = () => {
          if (commits || !database.inTransaction) beforeCommit()
        }
        statement.run = (...params: unknown[]) => {
          before()
          return run.apply(statement, params)
        }
        statement.all = (...params: unknown[]) => {
          before()
          return all.apply(statement, params)
        }
      }
      if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear()
      statements.set(text, statement)
    }
    return statement
  }
  return { close: () => database.close(), prepare }
}

/**
 * A second connection to the same file that serves `store.read` inside short read transactions:
 * a read transaction opens at the first read of an event-loop turn and ends at the end of that
 * turn (`setImmediate`). SQLite starting and ending a transaction costs more than most of
 * tokendesk's point reads (in WAL mode, taking and dropping a read lock on the shared memory
 * file); this way a turn's reads share one.
 *
 * What a read can see:
 * - every commit of this process before it: the writer ends the reader's transaction before it
 *   commits anything, so the next read starts a fresh one after the commit (a request reads its
 *   own writes, and no read waits for the writer's batch to finish);
 * - nothing uncommitted (WAL snapshot isolation);
 * - another process's commit (the CLI) from the next event-loop turn on (a read started in the
 *   check phase, after a write batch, can keep its snapshot through the next poll phase); after
 *   `refresh` (`store.refreshReads`, which revocation checks call), every commit made before the
 *   turn began.
 * Transactions are short, so checkpoints are never held back for long. The connection is
 * read-only: a write sent to it fails instead of bypassing group commit.
 */
class SnapshotReader {
  readonly database: SqliteDatabase.Database
  readonly prepare: (text: string) => SqliteDatabase.Statement
  readonly #begin: SqliteDatabase.Statement
  readonly #commit: SqliteDatabase.Statement
  #open = false
  #refreshed = false
  readonly #endOfTurn = () => this.end()
  readonly #nextTurn = () => {
    this.#refreshed = false
  }

  constructor(path: string) {
    this.database = new SqliteDatabase(path, { readonly: true, fileMustExist: true })
    this.database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    this.prepare = statementCache(this.database).prepare
    this.#begin = this.database.prepare('begin')
    this.#commit = this.database.prepare('commit')
  }

  /** Before a read: the turn's read transaction, opened if it is not. */
  begin(): void {
    if (this.#open) return
    this.#begin.run()
    this.#open = true
    setImmediate(this.#endOfTurn)
  }

  /**
   * Ends the read transaction, at most once per turn of the event loop: the requests a turn
   * handles all arrived before it began, so one fresh start per turn sees every commit made
   * before any of them (a transaction started later in the turn is fresher still).
   */
  refresh(): void {
    if (this.#refreshed) return
    this.#refreshed = true
    setImmediate(this.#nextTurn)
    this.end()
  }

  end(): void {
    if (!this.#open) return
    this.#open = false
    this.#commit.run()
  }

  close(): void {
    if (!this.database.open) return
    this.end()
    this.database.close()
  }
}

class ReaderConnection implements DatabaseConnection {
  readonly reader: SnapshotReader
  constructor(reader: SnapshotReader) {
    this.reader = reader
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.reader.prepare(compiled.sql)
    if (!statement.reader) {
      return Promise.reject(new Error('The SQLite reader connection only reads.'))
    }
    this.reader.begin()
    return Promise.resolve({ rows: statement.all(compiled.parameters) as R[] })
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered on the reader.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The SQLite reader connection does not stream.')
  }
}

/**
 * Kysely's SQLite driver serialises its one connection with a promise mutex, for transactions.
 * The reader runs none, and better-sqlite3 runs each statement to completion synchronously, so
 * it hands out its connection without one.
 */
class ReaderDriver implements Driver {
  readonly #reader: SnapshotReader
  readonly #connection: ReaderConnection
  constructor(reader: SnapshotReader) {
    this.#reader = reader
    this.#connection = new ReaderConnection(reader)
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection
  }
  async beginTransaction(): Promise<void> {
    throw new Error('The SQLite reader connection runs no transactions.')
  }
  async commitTransaction(): Promise<void> {
    throw new Error('The SQLite reader connection runs no transactions.')
  }
  async rollbackTransaction(): Promise<void> {
    throw new Error('The SQLite reader connection runs no transactions.')
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    this.#reader.close()
  }
}

class ReaderDialect extends SqliteDialect {
  readonly #reader: SnapshotReader
  constructor(reader: SnapshotReader) {
    super({ database: reader.database })
    this.#reader = reader
  }
  override createDriver(): Driver {
    return new ReaderDriver(this.#reader)
  }
}

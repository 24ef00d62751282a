import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { SqliteDialect } from 'kysely'

/** How long a statement waits for another process's write lock before `SQLITE_BUSY`. */
const BUSY_TIMEOUT_MS = 5_000

/**
 * SQLite through better-sqlite3: one connection per process, serialised by Kysely.
 * - `journal_mode=WAL`: readers never block the writer (the CLI may share the file).
 * - `synchronous=FULL`: a committed change is on disk before the caller hears of it.
 * - `foreign_keys=ON`: SQLite leaves them off unless asked, per connection.
 * - `busy_timeout` is set first so that switching to WAL waits for another process's lock.
 */
export const sqliteDialect = (path: string): SqliteDialect => {
  if (path === '') throw new Error('The SQLite database URL names no file (sqlite:<path>).')
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const database = new SqliteDatabase(path)
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    database.pragma('journal_mode = WAL')
    database.pragma('synchronous = FULL')
    database.pragma('foreign_keys = ON')
  } catch (error) {
    database.close()
    throw error
  }
  return new SqliteDialect({ database: withStatementCache(database) })
}

/** Prepared statements kept per SQL text; past this many distinct texts the cache starts over. */
const STATEMENT_CACHE_LIMIT = 500

/**
 * Kysely prepares every query anew; preparing costs more than running most of tokendesk's
 * single-row statements. Statements are reused per SQL text (better-sqlite3 statements are
 * reusable, and Kysely's one connection never runs two at once). Texts that vary (IN lists,
 * multi-row inserts) are bounded by the limit.
 */
const withStatementCache = (database: SqliteDatabase.Database) => {
  const statements = new Map<string, SqliteDatabase.Statement>()
  return {
    close: () => database.close(),
    prepare: (text: string): SqliteDatabase.Statement => {
      let statement = statements.get(text)
      if (statement === undefined) {
        statement = database.prepare(text)
        if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear()
        statements.set(text, statement)
      }
      return statement
    },
  }
}

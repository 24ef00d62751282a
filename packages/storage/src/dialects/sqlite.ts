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
  return new SqliteDialect({ database })
}

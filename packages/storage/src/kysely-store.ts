import type { Repositories, Store } from '@tokendesk/core'
import { type Kysely, sql } from 'kysely'
import { type DatabaseOptions, engineOf, openDatabase } from './database.js'
import { mapDriverError } from './driver-errors.js'
import { migrateToLatest } from './migrate.js'
import { createRepositories } from './repositories/index.js'
import type { Database } from './schema.js'

export interface StoreOptions extends DatabaseOptions {
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean
}

/** The Kysely implementation of core's `Store`. */
export interface KyselyStore extends Store {
  /** The database itself: for migrations tooling and tests. Services use the repositories. */
  readonly db: Kysely<Database>
}

/**
 * Opens the database `url` names (see `openDatabase`), migrates it unless told not to, and
 * returns the store.
 *
 * Transactions:
 * - SQLite: `BEGIN IMMEDIATE`, so the write lock is taken up front; a transaction that reads
 *   then writes never fails upgrading its lock when another process (the CLI) writes the same
 *   file. Kysely serialises the process's single connection, so `work` must not use
 *   `store.read` or start another transaction (it would wait for itself).
 * - PostgreSQL: `READ COMMITTED`; `forUpdate` reads lock rows until the transaction ends.
 * An error thrown by `work` rolls the transaction back and reaches the caller unchanged (only
 * driver errors are mapped, by `mapDriverError`).
 */
export const createStore = async (
  url: string,
  options: StoreOptions = {},
): Promise<KyselyStore> => {
  const { migrate = true, ...databaseOptions } = options
  const db = openDatabase(url, databaseOptions)
  const engine = engineOf(db)
  if (migrate) {
    // PostgreSQL: migrations run on their own short-lived connection without the client-side
    // query bound, so a node waiting on the advisory lock for another node's migrations is not
    // cut off. (SQLite, possibly `:memory:`, must migrate the very database it serves.)
    const { queryTimeoutMs: _unbounded, ...migrationOptions } = databaseOptions
    const migrating =
      engine === 'postgres' ? openDatabase(url, { ...migrationOptions, poolSize: 1 }) : db
    try {
      await migrateToLatest(migrating)
    } catch (error) {
      await db.destroy().catch(() => {})
      throw error
    } finally {
      if (migrating !== db) await migrating.destroy().catch(() => {})
    }
  }

  const inSqliteTransaction = <T>(work: (tx: Repositories) => Promise<T>): Promise<T> =>
    db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      let result: T
      try {
        result = await work(createRepositories(conn, engine))
        await sql`commit`.execute(conn)
      } catch (error) {
        // After a failed commit SQLite may have rolled back already: ignore "no transaction".
        await sql`rollback`.execute(conn).catch(() => {})
        throw error
      }
      return result
    })

  const inPostgresTransaction = <T>(work: (tx: Repositories) => Promise<T>): Promise<T> =>
    db.transaction().execute((trx) => work(createRepositories(trx, engine)))

  let closing: Promise<void> | undefined

  const transaction: Store['transaction'] = async (work) => {
    try {
      return await (engine === 'sqlite' ? inSqliteTransaction(work) : inPostgresTransaction(work))
    } catch (error) {
      throw mapDriverError(error)
    }
  }

  const read = createRepositories(db, engine)
  // Appending and purging lock the chain head for their whole statement sequence: outside a
  // caller's transaction they take one of their own.
  read.audit = {
    ...read.audit,
    append: (event) => transaction((tx) => tx.audit.append(event)),
    purge: (...args) => transaction((tx) => tx.audit.purge(...args)),
  }

  return {
    engine,
    db,
    read,
    transaction,

    async ping() {
      try {
        await sql`select 1`.execute(db)
      } catch (error) {
        throw mapDriverError(error)
      }
    },

    close() {
      closing ??= db.destroy()
      return closing
    },
  }
}

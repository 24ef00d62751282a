import type { Repositories, Store } from '@tokendesk/core'
import { type Kysely, sql } from 'kysely'
import { type DatabaseOptions, engineOf, openDatabase, openSqliteReader } from './database.js'
import { mapDriverError } from './driver-errors.js'
import { createGroupCommit } from './group-commit.js'
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

/** The repository methods that only read; every other method writes. */
const READS: { [R in keyof Repositories]: readonly (keyof Repositories[R])[] } = {
  companies: ['findById', 'findByName', 'count'],
  users: [
    'findById',
    'findByEmail',
    'findDetailsByEmail',
    'existingEmails',
    'searchByEmail',
    'countByEmail',
  ],
  emergencyCodes: ['findLatest'],
  locks: ['list'],
  tokens: ['existingSerials', 'findBySerial', 'countAssigned', 'listAssigned', 'findSecret'],
  apiKeys: ['findByAccessId', 'list', 'countActive'],
  audit: ['list', 'count', 'find', 'chains', 'head', 'chainEvents'],
  agentKeys: ['findByHash', 'list'],
  authnAttempts: ['find'],
  totpAuthenticators: ['find'],
}

type RepositoryMethod = (...args: unknown[]) => Promise<unknown>
type AnyRepository = Record<string, RepositoryMethod>

/** `repositories` with every writing method run as a transaction of its own. */
const writesInTransactions = (
  repositories: Repositories,
  transaction: Store['transaction'],
): Repositories => {
  const result: Record<string, AnyRepository> = {}
  for (const name of Object.keys(repositories) as (keyof Repositories)[]) {
    const reads = new Set<string>(READS[name] as readonly string[])
    const wrapped: AnyRepository = {}
    for (const [method, fn] of Object.entries(repositories[name] as unknown as AnyRepository)) {
      wrapped[method] = reads.has(method)
        ? fn
        : (...args) =>
            transaction((tx) =>
              ((tx[name] as unknown as AnyRepository)[method] as RepositoryMethod)(...args),
            )
    }
    result[name] = wrapped
  }
  return result as unknown as Repositories
}

/**
 * Opens the database `url` names (see `openDatabase`), migrates it unless told not to, and
 * returns the store.
 *
 * Transactions:
 * - SQLite: group commit (group-commit.ts): transactions arriving together share one
 *   `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint. The write lock is taken up front, so
 *   a transaction that reads then writes never fails upgrading its lock when another process
 *   (the CLI) writes the same file. Kysely serialises the writer connection, so `work` must not
 *   start another transaction (it would wait for itself), nor use `store.read` (it does not see
 *   the transaction's own writes, and with `:memory:`, one connection, it would wait too).
 *   A write through `store.read` joins the group commit as a transaction of its own.
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

  const inPostgresTransaction = <T>(work: (tx: Repositories) => Promise<T>): Promise<T> =>
    db.transaction().execute((trx) => work(createRepositories(trx, engine)))

  const transaction: Store['transaction'] =
    engine === 'sqlite'
      ? createGroupCommit(db)
      : async (work) => {
          try {
            return await inPostgresTransaction(work)
          } catch (error) {
            throw mapDriverError(error)
          }
        }

  // SQLite: reads on a connection of their own, in a read transaction per event-loop turn.
  const reader = engine === 'sqlite' ? openSqliteReader(db) : undefined
  const direct = createRepositories(reader?.db ?? db, engine)
  const read =
    engine === 'sqlite'
      ? // A write outside a transaction joins the group commit (one fsync shared, not its own).
        writesInTransactions(direct, transaction)
      : ({
          ...direct,
          // Appending and purging lock the chain head for their whole statement sequence:
          // outside a caller's transaction they take one of their own.
          audit: {
            ...direct.audit,
            append: (event) => transaction((tx) => tx.audit.append(event)),
            purge: (...args) => transaction((tx) => tx.audit.purge(...args)),
          },
        } satisfies Repositories)

  let closing: Promise<void> | undefined

  return {
    engine,
    db,
    read,
    transaction,

    refreshReads: reader ? reader.refresh : () => {},

    async ping() {
      try {
        await sql`select 1`.execute(db)
      } catch (error) {
        throw mapDriverError(error)
      }
    },

    close() {
      // The reader first: the last connection to close checkpoints the WAL into the file.
      reader?.close()
      closing ??= db.destroy()
      return closing
    },
  }
}

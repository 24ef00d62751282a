import { type Dialect, Kysely, PostgresAdapter, SqliteAdapter } from 'kysely'
import { postgresDialect } from './dialects/postgres.js'
import { type SqliteFile, type SqliteReader, sqliteFile } from './dialects/sqlite.js'
import type { Database } from './schema.js'

export type Engine = 'sqlite' | 'postgres'

export interface DatabaseOptions {
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number
  /** PostgreSQL: `statement_timeout` of every connection, in ms (default 5000). */
  statementTimeoutMs?: number
  /** PostgreSQL: how long to wait for a connection, in ms (default 5000). */
  connectTimeoutMs?: number
  /**
   * PostgreSQL: a client-side bound on each query, in ms (pg's `query_timeout`; default none).
   * `statement_timeout` is enforced by the server: a server or network that stops answering
   * altogether would leave a query waiting forever without this.
   */
  queryTimeoutMs?: number
  /**
   * PostgreSQL: the schema that holds tokendesk's tables (the connections' `search_path`);
   * migrations create it if missing. Default: the URL's `?schema=` parameter, else the server's
   * `search_path`. Ignored by SQLite.
   */
  schema?: string
}

const schemas = new WeakMap<Kysely<Database>, string>()
const sqliteFiles = new WeakMap<Kysely<Database>, SqliteFile>()

/**
 * Opens (lazily, for PostgreSQL) the database that `url` names:
 * `sqlite:<path>` (the parent folder is created; `sqlite::memory:` for tests), or
 * `postgres://…` / `postgresql://…`. Close it with `db.destroy()`.
 */
export const openDatabase = (url: string, options: DatabaseOptions = {}): Kysely<Database> => {
  let dialect: Dialect
  let schema: string | undefined
  let file: SqliteFile | undefined
  if (url.startsWith('sqlite:')) {
    file = sqliteFile(url.slice('sqlite:'.length))
    dialect = file.dialect
  } else if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { connectionString, schema: schemaInUrl } = splitSchema(url)
    schema = options.schema ?? schemaInUrl
    dialect = postgresDialect(connectionString, {
      poolSize: options.poolSize ?? 10,
      statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      queryTimeoutMs: options.queryTimeoutMs,
      schema,
    })
  } else {
    throw new Error('Unsupported database URL: use sqlite:<path> or postgres://…')
  }
  const db = new Kysely<Database>({ dialect })
  if (schema !== undefined) schemas.set(db, schema)
  if (file !== undefined) sqliteFiles.set(db, file)
  return db
}

/**
 * `postgres://…?schema=NAME` names the schema in the URL itself (what a node configured only
 * through `TOKENDESK_DATABASE_URL` can express); the parameter is tokendesk's, so it is taken out
 * before pg sees the URL. The `schema` option, when given, wins. (Configuration checks the name
 * with the same reading.)
 */
export const splitSchema = (
  url: string,
): { connectionString: string; schema: string | undefined } => {
  const queryAt = url.indexOf('?')
  if (queryAt === -1) return { connectionString: url, schema: undefined }
  const params = new URLSearchParams(url.slice(queryAt + 1))
  const schema = params.get('schema') ?? undefined
  if (schema === undefined) return { connectionString: url, schema: undefined }
  params.delete('schema')
  const rest = params.toString()
  return { connectionString: url.slice(0, queryAt) + (rest ? `?${rest}` : ''), schema }
}

/** The engine behind a Kysely instance (opened by {@link openDatabase} or not). */
export const engineOf = (db: Kysely<Database>): Engine => {
  const { adapter } = db.getExecutor()
  if (adapter instanceof PostgresAdapter) return 'postgres'
  if (adapter instanceof SqliteAdapter) return 'sqlite'
  throw new Error('tokendesk storage supports SQLite and PostgreSQL only.')
}

/** The `schema` option the database was opened with (PostgreSQL), if any. */
export const schemaOf = (db: Kysely<Database>): string | undefined => schemas.get(db)

/**
 * SQLite: a second, read-only connection to the file `db` was opened on, for reads outside
 * transactions (see `SnapshotReader` in dialects/sqlite.ts). `undefined` for PostgreSQL and for
 * `sqlite::memory:` (a second connection would open another, empty database). Call it once.
 */
export const openSqliteReader = (
  db: Kysely<Database>,
): (Omit<SqliteReader, 'dialect'> & { db: Kysely<Database> }) | undefined => {
  const reader = sqliteFiles.get(db)?.openReader()
  return reader && { ...reader, db: new Kysely<Database>({ dialect: reader.dialect }) }
}

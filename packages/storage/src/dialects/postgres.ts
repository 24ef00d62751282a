import { PostgresDialect } from 'kysely'
import pg from 'pg'

export interface PostgresOptions {
  poolSize: number
  statementTimeoutMs: number
  connectTimeoutMs: number
  queryTimeoutMs: number | undefined
  schema: string | undefined
}

const INT8_OID = 20

/**
 * `int8` (`bigint`, `count(*)`) comes back from pg as a string by default. Every int8 here is
 * an epoch-millisecond timestamp, an audit id or a count, all far below 2^53: parse them as
 * numbers, for this pool only (not through pg's global `types`).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? Number
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

/** A PostgreSQL identifier safe to pass in `-c search_path=…` without quoting. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Whether `name` may be a `?schema=` of a database URL (configuration checks it up front). */
export const isSchemaName = (name: string): boolean => SCHEMA_NAME.test(name)

/** PostgreSQL through a `pg.Pool`; `schema` (if any) becomes the connections' `search_path`. */
export const postgresDialect = (url: string, options: PostgresOptions): PostgresDialect => {
  const { schema } = options
  if (schema !== undefined && !isSchemaName(schema)) {
    throw new Error(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}.`)
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs,
    ...(options.queryTimeoutMs === undefined ? {} : { query_timeout: options.queryTimeoutMs }),
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  })
  // An idle client whose connection dies (a server restart, `57P01`) is dropped by the pool,
  // which then emits `error`; unhandled, that would end the process. The next query opens a
  // new connection, or fails with STORAGE_UNAVAILABLE.
  pool.on('error', () => {})
  return new PostgresDialect({ pool })
}

import type { Kysely } from 'kysely'
import type { Engine } from '../database.js'
import type { Database } from '../schema.js'

/** What a repository runs on: the pool, or one transaction's connection. */
export interface RepositoryContext {
  db: Kysely<Database>
  engine: Engine
  /**
   * The last hash of each audit chain (key `companyId kind`) as this transaction left it, for
   * a transaction that holds every chain head until it ends: SQLite's group commit, one
   * `BEGIN IMMEDIATE` batch. Whoever passes it must drop it when work is rolled back.
   */
  chainHeads?: Map<string, string>
}

/** Booleans are `0`/`1` in SQLite (better-sqlite3 binds no booleans), `boolean` in PostgreSQL. */
export const flag = (engine: Engine, value: boolean): boolean | number =>
  engine === 'postgres' ? value : value ? 1 : 0

/** Parameters per statement stay far below SQLite's (32766) and PostgreSQL's (65535) limits. */
export const CHUNK_SIZE = 500

export const chunks = <T>(items: readonly T[], size = CHUNK_SIZE): T[][] => {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Kysely reports affected rows as bigint. */
export const rowCount = (result: { numUpdatedRows: bigint } | undefined): number =>
  Number(result?.numUpdatedRows ?? 0n)

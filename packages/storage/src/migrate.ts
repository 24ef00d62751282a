import { type Kysely, Migrator, sql } from 'kysely'
import { type Engine, engineOf, schemaOf } from './database.js'
import { mapDriverError } from './driver-errors.js'
import { migrations } from './migrations/index.js'
import type { Database } from './schema.js'

export interface MigrationStatus {
  /** The migrations this call applied, in order (empty when already up to date). */
  applied: string[]
  /** The latest migration the database now has, or null if none. */
  current: string | null
}

/**
 * Applies every pending migration; throws (after rolling back) if one fails. The whole run
 * holds one connection, so that it can be prepared for the run:
 * - PostgreSQL: Kysely's migrator takes an advisory lock (several nodes may start at once) and
 *   runs in a transaction. `statement_timeout` is lifted for the run, so a node waiting for
 *   another's migrations is not cut off. The migration tables are placed in the target schema
 *   explicitly (Kysely would otherwise take another schema's `kysely_migration` for ours).
 * - SQLite: Kysely takes no lock and no transaction (it assumes DDL is not transactional), so
 *   the run happens inside one `BEGIN IMMEDIATE` transaction: a second process waits for the
 *   first to commit, then finds nothing to do; a failure leaves no half-made schema.
 */
export const migrateToLatest = async (
  db: Kysely<Database>,
  options: { schema?: string } = {},
): Promise<MigrationStatus> => {
  try {
    const engine = engineOf(db)
    return await db.connection().execute(async (conn) => {
      if (engine === 'postgres') {
        const schema = options.schema ?? schemaOf(db) ?? (await currentSchema(conn))
        const reset = () => sql`reset statement_timeout`.execute(conn)
        await sql`set statement_timeout = 0`.execute(conn)
        let status: MigrationStatus
        try {
          status = await run(conn, engine, schema)
        } catch (error) {
          await reset().catch(() => {}) // the migration's error is the one to report
          throw error
        }
        await reset()
        return status
      }
      await sql`begin immediate`.execute(conn)
      try {
        const status = await run(conn, engine, undefined)
        await sql`commit`.execute(conn)
        return status
      } catch (error) {
        await sql`rollback`.execute(conn)
        throw error
      }
    })
  } catch (error) {
    throw mapDriverError(error)
  }
}

const currentSchema = async (db: Kysely<Database>): Promise<string> => {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  )
  return rows[0]?.schema ?? 'public'
}

const run = async (
  db: Kysely<Database>,
  engine: Engine,
  schema: string | undefined,
): Promise<MigrationStatus> => {
  const migrator = new Migrator({
    db,
    provider: migrations(engine),
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  const executed = (await migrator.getMigrations()).filter((m) => m.executedAt !== undefined)
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
    current: executed.at(-1)?.name ?? null,
  }
}

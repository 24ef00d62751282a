import type { Compilable, CompiledQuery, Kysely } from 'kysely'
import type { Engine } from './database.js'
import type { Database } from './schema.js'

/** What stands for the argument `name` while a prepared query is compiled. */
class Argument {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}

/** Where a prepared query runs: the pool or a transaction, and the engine it speaks. */
export interface QueryTarget {
  db: Kysely<Database>
  engine: Engine
}

export interface PreparedQuery<P extends object, O> {
  /** Every row the query returns. */
  rows(target: QueryTarget, args: P): Promise<O[]>
  /** The first row, if any. */
  first(target: QueryTarget, args: P): Promise<O | undefined>
  /** How many rows an `INSERT`, `UPDATE` or `DELETE` changed. */
  affected(target: QueryTarget, args: P): Promise<number>
}

/**
 * A query built and compiled once per engine, then run with each call's arguments.
 *
 * Kysely builds an operation tree and compiles it to SQL on every execution: 5–10 µs per
 * statement, more than SQLite takes to run one of tokendesk's point reads or writes. Hot-path
 * queries are prepared instead: `build` runs once per engine with a stand-in for each argument
 * it reads off `args`, and each run sends the compiled SQL (the same string, so the driver's
 * statement cache finds it at once) with the call's arguments in the stand-ins' places.
 *
 * `build` must use its arguments only as values of the query (a comparison's right-hand side, an
 * inserted or updated value): never compute with them or put them in `IN` lists or `sql.lit`.
 * An argument that does not reach the compiled query as a parameter fails the first run with an
 * error, so a misuse shows in the first test that runs the query.
 */
export const prepared = <P extends object, O>(
  build: (db: Kysely<Database>, args: P) => Compilable<O>,
): PreparedQuery<P, O> => {
  const compiled = new Map<Engine, CompiledQuery<O>>()

  const compile = ({ db, engine }: QueryTarget): CompiledQuery<O> => {
    const read = new Map<string, Argument>()
    const stand = new Proxy({} as P, {
      get: (_, name) => {
        const key = String(name)
        let argument = read.get(key)
        if (argument === undefined) {
          argument = new Argument(key)
          read.set(key, argument)
        }
        return argument
      },
    })
    const query = build(db, stand).compile()
    for (const argument of read.values()) {
      if (!query.parameters.includes(argument)) {
        throw new Error(`prepared query: ${argument.name} is not a parameter of ${query.sql}`)
      }
    }
    compiled.set(engine, query)
    return query
  }

  const run = (target: QueryTarget, args: P) => {
    const query = compiled.get(target.engine) ?? compile(target)
    const values = args as Record<string, unknown>
    const parameters = query.parameters.map((value) =>
      value instanceof Argument ? values[value.name] : value,
    )
    return target.db.executeQuery<O>({ ...query, parameters })
  }

  return {
    rows: async (target, args) => (await run(target, args)).rows,
    first: async (target, args) => (await run(target, args)).rows[0],
    affected: async (target, args) => Number((await run(target, args)).numAffectedRows ?? 0n),
  }
}

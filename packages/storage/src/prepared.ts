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
 * it reads off `args`, and each run sends the compiled SQL (the same string, so the SQLite
 * statement cache finds it at once) with the call's arguments in the stand-ins' places.
 *
 * `build` must read each argument off `args` by name and use it only as a value of the query (a
 * comparison's right-hand side, an inserted or updated value, one element of an `IN` list):
 * never compute with it, branch on it, or pass it to `sql.lit`. Two misuses fail the first run
 * with an error: an argument read but not found among the compiled query's parameters (it was
 * computed with), and `args` spread or enumerated (its keys are unknown until a call). A branch
 * on an argument cannot be seen: the first run would fix its outcome for good.
 *
 * The cache is per engine because every Kysely instance of an engine compiles alike here (no
 * plugins; PostgreSQL's schema is the connection's `search_path`, not a `withSchema` plugin).
 */
export const prepared = <P extends object, O>(
  build: (db: Kysely<Database>, args: P) => Compilable<O>,
): PreparedQuery<P, O> => {
  const compiled = new Map<Engine, CompiledQuery<O>>()

  const compile = ({ db, engine }: QueryTarget): CompiledQuery<O> => {
    const read = new Map<string, Argument>()
    const enumerated = () => {
      throw new Error('prepared query: read each argument by name, never spread or list `args`')
    }
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
      ownKeys: enumerated,
      has: enumerated,
      getOwnPropertyDescriptor: enumerated,
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

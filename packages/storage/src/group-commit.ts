import type { Repositories } from '@tokendesk/core'
import { CompiledQuery, type Kysely } from 'kysely'
import { mapDriverError } from './driver-errors.js'
import { createRepositories } from './repositories/index.js'
import type { Database } from './schema.js'

/** At most this many transactions share one commit, so that none waits behind too many. */
const MAX_BATCH = 256

// Compiled once: these run for every transaction.
const BEGIN = CompiledQuery.raw('begin immediate')
const SAVEPOINT = CompiledQuery.raw('savepoint request')
const RELEASE = CompiledQuery.raw('release request')
const ROLLBACK_TO = CompiledQuery.raw('rollback to request')
const COMMIT = CompiledQuery.raw('commit')
const ROLLBACK = CompiledQuery.raw('rollback')

interface Pending {
  work: (tx: Repositories) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * Group commit for SQLite: transactions that arrive together share one `BEGIN IMMEDIATE … COMMIT`
 * and so one fsync (`synchronous=FULL`), instead of one each. Each runs in its own savepoint:
 * one that throws rolls back only its own work and fails alone; the others still commit. Nobody
 * hears of success before the shared COMMIT returned, so an acknowledged write is on disk.
 *
 * A transaction queued while no batch runs starts one on the next turn of the event loop
 * (`setImmediate`), so that requests read from the sockets in the same turn join it; while a
 * batch runs, new arrivals queue for the next one. Kysely serialises the writer connection,
 * so `work` must not start another transaction (it would wait for itself), nor use `store.read`
 * (on a file it reads the state before the batch, without the transaction's own writes; with
 * `:memory:`, one connection, it would wait for itself too).
 *
 * If SQLite abandons the transaction itself (a full disk, an I/O error), the work of every
 * transaction of the batch is lost: each of them fails with the error, none is acknowledged.
 */
export const createGroupCommit = (db: Kysely<Database>) => {
  const queue: Pending[] = []
  let draining = false

  const runBatch = async (conn: Kysely<Database>, batch: Pending[]): Promise<void> => {
    // Every chain head is this batch's until it commits (BEGIN IMMEDIATE): each is read once.
    const chainHeads = new Map<string, string>()
    const tx = createRepositories(conn, 'sqlite', chainHeads)
    try {
      await conn.executeQuery(BEGIN)
    } catch (error) {
      for (const pending of batch) pending.reject(error)
      return
    }
    const done: { pending: Pending; result: unknown }[] = []
    for (const [i, pending] of batch.entries()) {
      try {
        await conn.executeQuery(SAVEPOINT)
        const result = await pending.work(tx)
        await conn.executeQuery(RELEASE)
        done.push({ pending, result })
      } catch (error) {
        pending.reject(error)
        chainHeads.clear() // the heads it advanced are back as they were
        try {
          await conn.executeQuery(ROLLBACK_TO)
          await conn.executeQuery(RELEASE)
        } catch {
          // SQLite rolled the whole transaction back: the batch's earlier work is gone too.
          await conn.executeQuery(ROLLBACK).catch(() => {})
          for (const { pending: lost } of done) lost.reject(error)
          // The rest of the batch has not run yet: it goes first into the next batch.
          queue.unshift(...batch.slice(i + 1))
          return
        }
      }
    }
    try {
      await conn.executeQuery(COMMIT)
    } catch (error) {
      // After a failed commit SQLite may have rolled back already: ignore "no transaction".
      await conn.executeQuery(ROLLBACK).catch(() => {})
      for (const { pending } of done) pending.reject(error)
      return
    }
    for (const { pending, result } of done) pending.resolve(result)
  }

  const drain = (): void => {
    db.connection()
      .execute(async (conn) => {
        while (queue.length > 0) await runBatch(conn, queue.splice(0, MAX_BATCH))
      })
      .catch((error: unknown) => {
        // Acquiring the connection failed (the database is closing): fail what is queued.
        for (const pending of queue.splice(0)) pending.reject(error)
      })
      .finally(() => {
        draining = false
        if (queue.length > 0) schedule()
      })
  }

  const schedule = (): void => {
    draining = true
    setImmediate(drain)
  }

  return <T>(work: (tx: Repositories) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject: (error) => reject(mapDriverError(error)),
      })
      if (!draining) schedule()
    })
}

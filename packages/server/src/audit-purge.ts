import type { Logger } from 'pino'
import type { Runtime } from './runtime.js'

export interface AuditPurgeOptions {
  logger?: Logger | false
  /** Between runs (default 1 hour). */
  intervalMs?: number
  /** Before the first run after start-up (default 10 s). */
  firstRunMs?: number
  /** Events deleted per transaction (default 1000). */
  batchSize?: number
}

export interface AuditPurge {
  /** Purges everything expired now, batch after batch; returns how many events went. */
  runOnce(): Promise<number>
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/**
 * Retention (docs/events.md): a timer that deletes audit events older than their kind's
 * retention (`TOKENDESK_AUDIT_ADMIN_RETENTION_DAYS`, `TOKENDESK_AUDIT_USER_RETENTION_DAYS`).
 * Each batch is one short transaction of at most `batchSize` deletions, and the loop yields
 * between batches, so a large backlog never holds the database (or SQLite's single writer)
 * for long. Several nodes may run it at once: each batch locks its chain head, so they take
 * turns and a second node finds less to do.
 */
export const startAuditPurge = (runtime: Runtime, options: AuditPurgeOptions = {}): AuditPurge => {
  const { logger = false, intervalMs = 3_600_000, firstRunMs = 10_000, batchSize = 1000 } = options
  let stopped = false
  let running: Promise<unknown> | undefined
  let timer: NodeJS.Timeout | undefined

  const runOnce = async (): Promise<number> => {
    let total = 0
    while (!stopped) {
      const deleted = await runtime.services.audit.purgeExpired(runtime.clock.now(), batchSize)
      total += deleted
      if (deleted < batchSize) break
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (total > 0 && logger) logger.info({ deleted: total }, 'audit retention: purged events')
    return total
  }

  const tick = (): void => {
    running = runOnce()
      .catch((error: unknown) => {
        if (logger) logger.error({ err: error }, 'audit retention: purge failed')
      })
      .finally(() => {
        running = undefined
        if (!stopped) timer = setTimeout(tick, intervalMs).unref()
      })
  }
  timer = setTimeout(tick, firstRunMs).unref()

  return {
    runOnce,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}

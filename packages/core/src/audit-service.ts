import type { AuditKind, StoredAuditEvent } from './audit.js'
import { type ChainBreak, type ChainHead, checkLink } from './audit-chain.js'
import type { Deps, OperationContext } from './context.js'
import { DomainError } from './errors.js'

/** The documented maximum page size of the log exports; larger requests are clamped. */
export const MAX_LOG_PAGE_SIZE = 100
export const DEFAULT_LOG_PAGE_SIZE = 100

export const DEFAULT_AUDIT_RETENTION_DAYS: Readonly<Record<AuditKind, number>> = {
  admin: 90,
  user: 40,
}

const DAY_MS = 86_400_000
const CHAIN_BATCH = 500

export interface LogExportQuery {
  /** Epoch ms, exclusive. */
  startTimeAfter?: number
  /** Epoch ms, inclusive; default: now. */
  endTimeOnOrBefore?: number
  /** Zero-based. */
  pageNumber: number
  pageSize: number
}

export interface LogExportPage {
  companyName: string
  totalElements: number
  totalPages: number
  pageSize: number
  currentPage: number
  /** Ascending by time, then by id. */
  events: StoredAuditEvent[]
}

export interface ChainReport {
  companyId: string
  kind: AuditKind
  /** Events checked. */
  events: number
  firstId: number | null
  lastId: number | null
  /** The first break, if any. */
  break?: ChainBreak
}

const invalid = (message: string) => new DomainError('VALIDATION_FAILED', { message })

/**
 * The audit trail seen from outside: the log exports (rsa-authn-and-logs.md Part 2), chain
 * verification and retention. Writing events is `audit()` (context.ts), inside each change's
 * transaction.
 */
export const createAuditService = (deps: Pick<Deps, 'store' | 'clock' | 'auditRetentionDays'>) => {
  const { store, clock } = deps
  const retention = deps.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS

  /**
   * Walks one chain oldest to newest. Appends and purges may run meanwhile, so a mismatch at
   * either end is checked against a fresh head before it counts as a break: a first event that
   * follows the current anchor was left by a purge; events past the head read first were
   * appended since.
   */
  const verifyChain = async (companyId: string, kind: AuditKind): Promise<ChainReport> => {
    const report: ChainReport = { companyId, kind, events: 0, firstId: null, lastId: null }
    const readHead = () => store.read.audit.head(companyId, kind)
    let head: ChainHead | undefined = await readHead()
    if (!head) {
      const first = (await store.read.audit.chainEvents(companyId, kind, 0, 1))[0]
      if (!first) return report
      return {
        ...report,
        break: {
          eventId: first.id,
          problem: 'head',
          expected: 'a chain head',
          stored: 'none',
          message: `the chain has events (from ${first.id}) but no head: it was not written by tokendesk`,
        },
      }
    }
    let expectedPrev = head.anchorHash
    let lastHash: string | null = null
    let afterId = 0
    for (let settle = 0; ; settle += 1) {
      for (;;) {
        const batch = await store.read.audit.chainEvents(companyId, kind, afterId, CHAIN_BATCH)
        for (const event of batch) {
          let broken = checkLink(event, expectedPrev)
          if (broken?.problem === 'link') {
            // A purge may have cut the chain up to this very event since the head was read.
            head = (await readHead()) ?? head
            const isAnchor =
              event.prevHash === head.anchorHash &&
              (await store.read.audit.chainEvents(companyId, kind, 0, 1))[0]?.id === event.id
            if (isAnchor) broken = checkLink(event, head.anchorHash)
          }
          if (broken) return { ...report, break: broken }
          report.events += 1
          report.firstId ??= event.id
          report.lastId = event.id
          expectedPrev = event.hash
          lastHash = event.hash
          afterId = event.id
        }
        if (batch.length < CHAIN_BATCH) break
      }
      head = (await readHead()) ?? head
      // An emptied chain was purged to its end: its anchor is then its newest hash.
      const endsAtHead = (lastHash ?? head.anchorHash) === head.lastHash
      if (endsAtHead) return report
      // Either events were appended after the walk (walk on), or the newest ones are gone.
      const more = await store.read.audit.chainEvents(companyId, kind, afterId, 1)
      if (more.length === 0 || settle >= 5) {
        return {
          ...report,
          break: {
            eventId: null,
            problem: 'head',
            expected: head.lastHash,
            stored: lastHash ?? 'none',
            message: `the newest events are missing: the chain ends at event ${report.lastId} (hash ${lastHash}) but its head records ${head.lastHash}`,
          },
        }
      }
    }
  }

  return {
    /** `GET /v1/{adminlog|usereventlog}/exportlogs` (rsa-authn-and-logs.md §2.3–2.4). */
    async exportLog(
      ctx: OperationContext,
      kind: AuditKind,
      query: LogExportQuery,
    ): Promise<LogExportPage> {
      const { pageNumber } = query
      if (!Number.isSafeInteger(pageNumber) || pageNumber < 0) {
        throw invalid('pageNumber must be a whole number, 0 or more.')
      }
      if (!Number.isSafeInteger(query.pageSize) || query.pageSize < 1) {
        throw invalid('pageSize must be a whole number from 1 to 100.')
      }
      const pageSize = Math.min(query.pageSize, MAX_LOG_PAGE_SIZE)
      const company = await store.read.companies.findById(ctx.companyId)
      if (!company) throw new DomainError('COMPANY_NOT_FOUND')
      const range = {
        onOrBefore: query.endTimeOnOrBefore ?? clock.now(),
        ...(query.startTimeAfter !== undefined && { after: query.startTimeAfter }),
      }
      const totalElements = await store.read.audit.count(ctx.companyId, kind, range)
      const offset = pageNumber * pageSize
      // Past the end (syslog-ng asks for page `totalPages`): an empty page, not an error.
      const events =
        offset < totalElements
          ? await store.read.audit.find(ctx.companyId, kind, range, { offset, limit: pageSize })
          : []
      return {
        companyName: company.name,
        totalElements,
        totalPages: Math.ceil(totalElements / pageSize),
        pageSize,
        currentPage: pageNumber,
        events,
      }
    },

    /** Checks every chain (of one company if given); stops each chain at its first break. */
    async verify(companyId?: string): Promise<ChainReport[]> {
      const chains = await store.read.audit.chains(companyId)
      const reports: ChainReport[] = []
      for (const chain of chains) reports.push(await verifyChain(chain.companyId, chain.kind))
      return reports
    },

    /**
     * Deletes events past their kind's retention, at most `batchSize` (one transaction per
     * chain touched, each cutting only the chain's oldest end). Returns how many were deleted:
     * fewer than `batchSize` means nothing expired is left.
     */
    async purgeExpired(now: number, batchSize: number): Promise<number> {
      let deleted = 0
      // Every chain written by tokendesk has a head; purging needs no scan of the events.
      for (const chain of await store.read.audit.chains(undefined, { headsOnly: true })) {
        const budget = batchSize - deleted
        if (budget <= 0) break
        const before = now - retention[chain.kind] * DAY_MS
        deleted += await store.transaction((tx) =>
          tx.audit.purge(chain.companyId, chain.kind, before, budget),
        )
      }
      return deleted
    },
  }
}

export type AuditService = ReturnType<typeof createAuditService>

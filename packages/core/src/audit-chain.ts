import { createHash } from 'node:crypto'
import type { AuditKind, ChainedAuditEvent } from './audit.js'

/**
 * Tamper evidence for the audit trail (docs/events.md, "Tamper evidence"):
 * - each company has one chain per kind (`admin`, `user`); every event stores the hash of the
 *   event before it in its chain (`prevHash`) and its own `hash`, SHA-256 over the canonical
 *   serialisation below, which ends with `prevHash`;
 * - the chain head (one row per chain) holds the hash of the newest event and the `anchor`: the
 *   hash of the newest event that retention purged (the genesis hash until then). Purging only
 *   ever cuts a chain's oldest end, so the oldest retained event links to the anchor;
 * - editing, deleting or reordering a retained event, or deleting the newest ones, breaks the
 *   chain at the first affected event.
 */
export const GENESIS_HASH = '0'.repeat(64)

/** Tag of the serialisation: a change of format gets a new tag, never a silent change. */
const FORMAT = 'tokendesk.audit.v1'

/** The stored fields a hash covers (everything but the database id and the hash itself). */
export type ChainLinkFields = Omit<ChainedAuditEvent, 'id' | 'hash'>

/** JSON with object keys sorted at every level, so equal values serialise equally. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** SHA-256 (hex) of an event and its predecessor's hash. */
export const auditEventHash = (event: ChainLinkFields): string =>
  createHash('sha256')
    .update(
      canonicalJson([
        FORMAT,
        event.companyId,
        event.kind,
        event.at,
        event.action,
        event.actor.type,
        event.actor.id,
        event.actor.role,
        event.targetType,
        event.targetId,
        event.result,
        event.reason,
        event.requestId,
        event.sourceIp,
        event.details,
        event.prevHash,
      ]),
    )
    .digest('hex')

/** One chain's head: the newest event's hash, and the hash the oldest retained event follows. */
export interface ChainHead {
  companyId: string
  kind: AuditKind
  lastHash: string
  anchorHash: string
}

export interface ChainBreak {
  /** The database id of the first event that does not verify (null: the chain's end is missing). */
  eventId: number | null
  problem: 'hash' | 'link' | 'head'
  expected: string
  stored: string
  message: string
}

/** Checks one event against the hash its predecessor ends with. */
export const checkLink = (
  event: ChainedAuditEvent,
  expectedPrev: string,
): ChainBreak | undefined => {
  if (event.prevHash !== expectedPrev) {
    return {
      eventId: event.id,
      problem: 'link',
      expected: expectedPrev,
      stored: event.prevHash,
      message: `event ${event.id} does not follow its predecessor: expected previous hash ${expectedPrev}, stored ${event.prevHash}`,
    }
  }
  const hash = auditEventHash(event)
  if (hash !== event.hash) {
    return {
      eventId: event.id,
      problem: 'hash',
      expected: hash,
      stored: event.hash,
      message: `event ${event.id} was altered: expected hash ${hash}, stored ${event.hash}`,
    }
  }
  return undefined
}

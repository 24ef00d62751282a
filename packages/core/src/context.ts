import type { Actor, AuditEvent, AuditKind } from './audit.js'
import type { OutOfBandSender } from './authn.js'
import type { Clock, KeyPairGenerator, Random, SecretBox } from './ports.js'
import type { Repositories, Store } from './store.js'

/** Who is acting, for which company, in which request. Every service call takes one. */
export interface OperationContext {
  companyId: string
  actor: Actor
  requestId: string | null
  sourceIp: string | null
}

/** Everything the services may use. Each service picks what it needs (`Pick<Deps, …>`). */
export interface Deps {
  store: Store
  clock: Clock
  random: Random
  secrets: SecretBox
  keyPairs: KeyPairGenerator
  /** `<publicUrl>/AdminInterface/restapi/`, written into key files. */
  adminRestApiUrl: string
  maxActiveApiKeys: number
  /** `<publicUrl>/mfa/v1_1`, written into agent key files. */
  authnApiUrl?: string
  /** SMS and voice delivery (file outbox or webhook); absent, SMS/VOICE answer DELIVERY_FAILED. */
  sender?: OutOfBandSender
  /** Days audit events are kept, per kind (default 90 admin, 40 user). */
  auditRetentionDays?: Readonly<Record<AuditKind, number>>
}

export type AuditInput = Pick<AuditEvent, 'action' | 'targetType' | 'targetId'> &
  Partial<Pick<AuditEvent, 'result' | 'reason' | 'details'>>

/** Appends the audit event of a change inside the change's own transaction. */
export const audit = (
  tx: Repositories,
  ctx: OperationContext,
  at: number,
  event: AuditInput,
): Promise<void> =>
  tx.audit.append({
    companyId: ctx.companyId,
    at,
    actor: ctx.actor,
    requestId: ctx.requestId,
    sourceIp: ctx.sourceIp,
    result: 'success',
    reason: null,
    details: {},
    ...event,
  })

import type { Role } from './roles.js'

/**
 * Audit events are written in the same transaction as the change they record. They never
 * carry a code, seed or key. Actions are `entity.past_tense` (docs/events.md lists them).
 */
export const AUDIT_ACTIONS = [
  'company.created',
  'company.settings_updated',
  'api_key.created',
  'api_key.revoked',
  'api_key.authentication_failed',
  'user.created',
  'user.status_changed',
  'emergency_code.enabled',
  'emergency_code.disabled',
  'methods.unlocked',
  'token.imported',
  'token.assigned',
  'token.enabled',
  'token.disabled',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export type ActorType = 'api_key' | 'cli' | 'system'

export interface Actor {
  type: ActorType
  /** The API key's accessID, or null for the CLI and the system. */
  id: string | null
  role: Role | null
}

export interface AuditEvent {
  companyId: string
  at: number
  action: AuditAction
  actor: Actor
  targetType: 'company' | 'user' | 'token' | 'api_key' | null
  targetId: string | null
  result: 'success' | 'failure'
  reason: string | null
  requestId: string | null
  sourceIp: string | null
  details: Record<string, unknown>
}

export interface StoredAuditEvent extends AuditEvent {
  id: number
}

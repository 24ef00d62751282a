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
  'token.unassigned',
  'token.pin_cleared',
  'token.deleted',
  'user.updated',
  'user.deleted',
  'user.imported',
  // User events (verifications, written by the Authentication API): kind `user` in the catalogue.
  'authn.succeeded',
  'authn.failed',
  'authn.challenged',
  'authn.code_sent',
  'authn.cancelled',
  'methods.auto_unlocked',
  'token.pin_set',
  'agent_key.created',
  'agent_key.revoked',
  'authenticator.totp_registered',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export type ActorType = 'api_key' | 'agent_key' | 'cli' | 'system'

export interface Actor {
  type: ActorType
  /** The API key's accessID (agent key's id), or null for the CLI and the system. */
  id: string | null
  role: Role | null
}

/** The actor of what the service does by itself (first-start set-up, an auto-unlock). */
export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, role: null }

export interface AuditEvent {
  companyId: string
  at: number
  action: AuditAction
  actor: Actor
  targetType: 'company' | 'user' | 'token' | 'api_key' | 'agent_key' | null
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

/**
 * Which export an event belongs to: `admin` events (changes made by administrators, the CLI
 * or the system) go to `adminlog/exportlogs` and are kept 90 days by default; `user` events
 * (verifications) go to `usereventlog/exportlogs` and are kept 40 days. Each company has one
 * hash chain per kind (docs/events.md, "Tamper evidence").
 */
export const AUDIT_KINDS = ['admin', 'user'] as const
export type AuditKind = (typeof AUDIT_KINDS)[number]

/** How an admin event appears in the admin log export (`activityKey`, `activityCode`, `message`). */
export interface AdminActivity {
  kind: 'admin'
  activityKey: string
  activityCode: number
  /** `{0}`: the administrator; `{1}`: the target. */
  message: string
}

export interface UserEventCode {
  eventCode: number
  level: 'notice' | 'error'
  description: string
}

/** How a user event appears in the user event log export; `byReason` refines failures. */
export interface UserActivity extends UserEventCode {
  kind: 'user'
  category: string
  byReason?: Readonly<Record<string, UserEventCode>>
}

/**
 * The stable export codes of every action (docs/events.md lists them; a test checks that every
 * action has one). Codes RSA documents are reused where the meaning is the same (82200
 * EDIT_COMPANY_SETTINGS; user event codes 31, 32, 35, 36); RSA's codes for the other operations
 * are not public, so tokendesk's own live in 89000–89999 (admin) and 90000–90999 (user), outside
 * every range RSA publishes. A code, once shipped, never changes meaning.
 */
export const AUDIT_CATALOGUE: { readonly [A in AuditAction]?: AdminActivity | UserActivity } = {
  'company.created': admin('CREATE_COMPANY', 89001, '{0} created company {1}'),
  'company.settings_updated': admin('EDIT_COMPANY_SETTINGS', 82200, '{0} edited company settings'),
  'api_key.created': admin('ADD_ADMIN_API_KEY', 89010, '{0} added Administration API key {1}'),
  'api_key.revoked': admin('REVOKE_ADMIN_API_KEY', 89011, '{0} revoked Administration API key {1}'),
  'api_key.authentication_failed': admin(
    'ADMIN_API_KEY_AUTHENTICATION_FAILURE',
    89012,
    'Authentication with Administration API key {1} failed',
  ),
  'user.created': admin('ADD_USER', 89020, '{0} added user {1}'),
  'user.status_changed': admin('CHANGE_USER_STATUS', 89021, '{0} changed the status of user {1}'),
  'user.updated': admin('EDIT_USER', 89022, '{0} edited user {1}'),
  'user.deleted': admin('DELETE_USER', 89023, '{0} deleted user {1}'),
  'user.imported': admin('IMPORT_USERS', 89024, '{0} imported users'),
  'emergency_code.enabled': admin(
    'ENABLE_EMERGENCY_ACCESS',
    89030,
    '{0} enabled an emergency tokencode for user {1}',
  ),
  'emergency_code.disabled': admin(
    'DISABLE_EMERGENCY_ACCESS',
    89031,
    '{0} disabled the emergency tokencode of user {1}',
  ),
  'methods.unlocked': admin(
    'UNLOCK_AUTHENTICATION_METHODS',
    89040,
    '{0} unlocked authentication methods of user {1}',
  ),
  'token.imported': admin('IMPORT_HARDWARE_TOKENS', 89050, '{0} imported hardware tokens'),
  'token.assigned': admin('ASSIGN_HARDWARE_TOKEN', 89051, '{0} assigned hardware token {1}'),
  'token.enabled': admin('ENABLE_HARDWARE_TOKEN', 89052, '{0} enabled hardware token {1}'),
  'token.disabled': admin('DISABLE_HARDWARE_TOKEN', 89053, '{0} disabled hardware token {1}'),
  'token.unassigned': admin('UNASSIGN_HARDWARE_TOKEN', 89054, '{0} unassigned hardware token {1}'),
  'token.pin_cleared': admin(
    'CLEAR_HARDWARE_TOKEN_PIN',
    89055,
    '{0} cleared the PIN of hardware token {1}',
  ),
  'token.deleted': admin('DELETE_HARDWARE_TOKEN', 89056, '{0} deleted hardware token {1}'),
  'authn.succeeded': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90001,
    level: 'notice',
    description: 'Authentication succeeded.',
  },
  'authn.failed': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90002,
    level: 'error',
    description: 'Authentication failed - Invalid credentials.',
    byReason: {
      USER_NOT_FOUND: {
        eventCode: 31,
        level: 'error',
        description: 'Authentication failed - User does not exist.',
      },
      USER_DISABLED: {
        eventCode: 32,
        level: 'error',
        description: 'Authentication failed - User account disabled.',
      },
      METHOD_LOCKED: {
        eventCode: 35,
        level: 'error',
        description: 'Authentication failed - Method locked.',
      },
      METHOD_NOT_AVAILABLE: {
        eventCode: 36,
        level: 'error',
        description:
          'Authentication failed - Authenticator not registered or authentication method not enrolled.',
      },
      NO_METHOD_AVAILABLE: {
        eventCode: 90007,
        level: 'error',
        description: 'Authentication failed - No authentication method available.',
      },
      DELIVERY_FAILED: {
        eventCode: 90008,
        level: 'error',
        description: 'Authentication failed - The code could not be delivered.',
      },
    },
  },
  'authn.challenged': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90003,
    level: 'notice',
    description: 'Authentication step accepted - another step is required.',
  },
  'authn.code_sent': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90004,
    level: 'notice',
    description: 'SMS or voice tokencode sent.',
  },
  'authn.cancelled': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90005,
    level: 'notice',
    description: 'Authentication attempt cancelled.',
  },
  'methods.auto_unlocked': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 4,
    level: 'notice',
    description: 'Method automatically unlocked - Lockout duration expired.',
  },
  'token.pin_set': {
    kind: 'user',
    category: 'Authentication',
    eventCode: 90006,
    level: 'notice',
    description: 'New hardware token PIN set by the user.',
  },
  'agent_key.created': admin(
    'ADD_AUTHENTICATION_API_KEY',
    89013,
    '{0} added Authentication API key {1}',
  ),
  'agent_key.revoked': admin(
    'REVOKE_AUTHENTICATION_API_KEY',
    89014,
    '{0} revoked Authentication API key {1}',
  ),
  'authenticator.totp_registered': admin(
    'REGISTER_AUTHENTICATE_OTP',
    89060,
    '{0} registered an Authenticate OTP authenticator for user {1}',
  ),
}

function admin(activityKey: string, activityCode: number, message: string): AdminActivity {
  return { kind: 'admin', activityKey, activityCode, message }
}

/**
 * The kind of an action: its catalogue entry's; without one (a test forbids it), `authn.*`
 * actions are user events and everything else is an admin event.
 */
export const auditKindOf = (action: AuditAction): AuditKind =>
  AUDIT_CATALOGUE[action]?.kind ?? (action.startsWith('authn.') ? 'user' : 'admin')

/** A stored event with its place in its chain (docs/events.md, "Tamper evidence"). */
export interface ChainedAuditEvent extends StoredAuditEvent {
  kind: AuditKind
  /** The hash of the previous event of the same chain (or the genesis hash). */
  prevHash: string
  hash: string
}

import type {
  ActorType,
  AuditAction,
  AuditEvent,
  AuditKind,
  LockableMethod,
  Role,
  TokenState,
  TokenStatus,
} from '@tokendesk/core'
import type { ColumnType, Generated } from 'kysely'

/**
 * The database as Kysely sees it: snake_case tables and columns. Only the row mappers in
 * `repositories/` turn rows into core's camelCase types.
 *
 * - Timestamps are epoch milliseconds: `integer` in SQLite, `bigint` in PostgreSQL (whose
 *   driver is told to parse `int8` as a JS number, see `dialects/postgres.ts`).
 * - Booleans are `0`/`1` in SQLite and `boolean` in PostgreSQL ({@link Flag}).
 * - JSON (company settings, audit details) is stored as text.
 */
export interface Database {
  companies: CompaniesTable
  users: UsersTable
  emergency_codes: EmergencyCodesTable
  method_locks: MethodLocksTable
  tokens: TokensTable
  api_keys: ApiKeysTable
  audit_events: AuditEventsTable
  agent_keys: AgentKeysTable
  authn_attempts: AuthnAttemptsTable
  totp_authenticators: TotpAuthenticatorsTable
  audit_chain_heads: AuditChainHeadsTable
}

/** Epoch milliseconds. */
type Millis = number

/** `0`/`1` in SQLite, `boolean` in PostgreSQL: write it with `flag()`, read it with `Boolean()`. */
export type Flag = ColumnType<boolean | number, boolean | number, boolean | number>

export interface CompaniesTable {
  id: string
  name: string
  /** JSON of `CompanySettings`; read back through `withDefaults`. */
  settings: string
  created_at: Millis
}

export interface UsersTable {
  id: string
  company_id: string
  email: string
  /** `email.toLowerCase()`: the case-insensitive lookup and uniqueness key. */
  email_lower: string
  first_name: string | null
  last_name: string | null
  status: 'Enabled' | 'Disabled'
  sms_number: string | null
  voice_number: string | null
  created_at: Millis
  updated_at: Millis
  /** Set by `DELETE /v1/users/{id}` (0004); such rows are invisible to every lookup. */
  deleted_at: ColumnType<Millis | null, Millis | null | undefined, Millis | null>
}

export interface EmergencyCodesTable {
  id: string
  company_id: string
  user_id: string
  /** Keyed hash of the code; never selected back out. */
  code_hash: string
  issued_at: Millis
  expires_at: Millis
  offline_expires_at: Millis | null
  one_time_use: Flag
  revoked_at: Millis | null
  last_used_at: Millis | null
}

export interface MethodLocksTable {
  company_id: string
  user_id: string
  method: LockableMethod
  failed_count: number
  locked_at: Millis | null
  last_failure_at: Millis | null
}

export interface TokensTable {
  id: string
  company_id: string
  serial: string
  name: string
  /** AES-256-GCM ciphertext of the seed (`blob` / `bytea`); never selected by the repositories. */
  seed_ciphertext: Uint8Array
  algorithm: 'TOTP'
  digits: number
  period: number
  state: TokenState
  status: TokenStatus
  status_changed_by: string | null
  status_changed_at: Millis | null
  assigned_user_id: string | null
  assigned_at: Millis | null
  assigned_by: string | null
  pin_set: Flag
  created_at: Millis
  /** Keyed hash of the PIN (migration 0002); meaningful only while `pin_set`. */
  pin_hash: ColumnType<string | null, string | null | undefined, string | null>
  /** The last accepted tokencode's time step: no step is accepted twice (migration 0002). */
  last_used_step: ColumnType<number | null, number | null | undefined, number | null>
  /** The token clock's offset in steps, learnt by next-tokencode resynchronisation. */
  drift_steps: ColumnType<number, number | undefined, number>
}

export interface ApiKeysTable {
  access_id: string
  company_id: string
  role: Role
  description: string | null
  public_key: string
  created_at: Millis
  last_used_at: Millis | null
  revoked_at: Millis | null
}

export interface AuditEventsTable {
  /** `integer primary key autoincrement` / `bigint generated always as identity`. */
  id: Generated<number>
  company_id: string
  at: Millis
  action: AuditAction
  actor_type: ActorType
  actor_id: string | null
  actor_role: Role | null
  target_type: AuditEvent['targetType']
  target_id: string | null
  result: 'success' | 'failure'
  reason: string | null
  request_id: string | null
  source_ip: string | null
  /** JSON object. */
  details: string
  /** `admin` | `user` (migration 0003): which export and which chain. */
  kind: ColumnType<AuditKind, AuditKind | undefined, AuditKind>
  /** Hex SHA-256 of the previous event of the chain (migration 0003). */
  prev_hash: ColumnType<string, string | undefined, string>
  /** Hex SHA-256 of this event (`auditEventHash`). */
  hash: ColumnType<string, string | undefined, string>
}

/** One row per chain (company and kind), migration 0003: locked by every append. */
export interface AuditChainHeadsTable {
  company_id: string
  kind: AuditKind
  last_hash: string
  /** The hash the oldest retained event follows: genesis, or the newest purged event's. */
  anchor_hash: string
}

/** Migration 0002: `client-key`s of the Authentication API, as keyed hashes only. */
export interface AgentKeysTable {
  id: string
  company_id: string
  key_hash: string
  description: string | null
  created_at: Millis
  revoked_at: Millis | null
}

/** Migration 0002: authentication attempts, shared by every node. */
export interface AuthnAttemptsTable {
  id: string
  company_id: string
  agent_key_id: string
  user_id: string
  subject_name: string
  client_id: string | null
  last_message_id: string
  timeout_seconds: number
  expires_at: Millis
  keep_attempt: Flag
  status: 'CHALLENGE' | 'SUCCESS' | 'FAIL'
  reason_code: string
  /** JSON array of method ids. */
  successful_methods: string
  /** JSON of core's `AttemptState`. */
  state: string
  created_at: Millis
  updated_at: Millis
}

/** Migration 0002: one Authenticate OTP registration per user. */
export interface TotpAuthenticatorsTable {
  id: string
  company_id: string
  user_id: string
  seed_ciphertext: Uint8Array
  last_used_step: number | null
  created_at: Millis
}

import type { AgentKeyRepository } from './agent-keys.js'
import type { ApiKey } from './api-keys.js'
import type { AuditEvent, AuditKind, ChainedAuditEvent, StoredAuditEvent } from './audit.js'
import type { ChainHead } from './audit-chain.js'
import type { AuthnAttemptRepository, TokenSecret, TotpAuthenticatorRepository } from './authn.js'
import type { LockableMethod, MethodLockState } from './methods.js'
import type { CompanySettings } from './settings.js'
import type { HardwareToken, NewHardwareToken, TokenStatus } from './tokens.js'

/**
 * The storage port. `@tokendesk/storage` implements it over SQLite and PostgreSQL; the storage
 * contract suite (`packages/storage/test`) holds every implementation to the same behaviour.
 *
 * Rules every implementation keeps:
 * - Nothing crosses companies: every lookup is scoped by `companyId` (API keys are found by
 *   their globally unique accessID, and carry their company).
 * - `transaction` commits all or nothing; a change and its audit event go in the same one.
 * - `forUpdate` reads lock the row until the transaction ends (PostgreSQL `FOR UPDATE`;
 *   SQLite transactions are already serialised by `BEGIN IMMEDIATE`).
 * - Unique violations surface as `DomainError`s (`COMPANY_EXISTS`, `USER_EXISTS`,
 *   `TOKEN_SERIAL_EXISTS`), never as driver errors.
 */
export interface Store {
  readonly engine: 'sqlite' | 'postgres'
  readonly read: Repositories
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>
  /**
   * The next read through `read` sees every commit, this process's and any other's, made before
   * this turn of the event loop began — that is, before any request the turn handles arrived.
   * Reads may otherwise share a snapshot taken earlier (SQLite: possibly in the previous turn's
   * last phase); a read that must not miss a revocation made elsewhere calls this first.
   */
  refreshReads(): void
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>
  close(): Promise<void>
}

export interface Repositories {
  companies: CompanyRepository
  users: UserRepository
  emergencyCodes: EmergencyCodeRepository
  locks: LockRepository
  tokens: TokenRepository
  apiKeys: ApiKeyRepository
  audit: AuditRepository
  agentKeys: AgentKeyRepository
  authnAttempts: AuthnAttemptRepository
  totpAuthenticators: TotpAuthenticatorRepository
}

export interface Company {
  id: string
  name: string
  settings: CompanySettings
  createdAt: number
}

export interface CompanyRepository {
  insert(company: Company): Promise<void>
  findById(id: string): Promise<Company | undefined>
  /** Names match exactly (case-sensitive). */
  findByName(name: string): Promise<Company | undefined>
  count(): Promise<number>
  updateSettings(id: string, settings: CompanySettings): Promise<void>
}

export const USER_STATUSES = ['Enabled', 'Disabled'] as const
export type UserStatus = (typeof USER_STATUSES)[number]

export interface User {
  id: string
  companyId: string
  emailAddress: string
  firstName: string | null
  lastName: string | null
  userStatus: UserStatus
  smsNumber: string | null
  voiceNumber: string | null
  createdAt: number
  updatedAt: number
}

export interface UserRepository {
  insert(user: User): Promise<void>
  findById(
    companyId: string,
    id: string,
    options?: { forUpdate?: boolean },
  ): Promise<User | undefined>
  /** Case-insensitive. */
  findByEmail(companyId: string, email: string): Promise<User | undefined>
  /**
   * `findByEmail` with what User Details shows of the user, usually in one read: its lock
   * states (as `LockRepository.list` gives them) and its latest emergency code (as
   * `EmergencyCodeRepository.findLatest`).
   */
  findDetailsByEmail(companyId: string, email: string): Promise<StoredUserDetails | undefined>
  updateStatus(companyId: string, id: string, status: UserStatus, at: number): Promise<void>
  /** Sets the fields present in `patch` (`null` clears one). */
  updateProfile(companyId: string, id: string, patch: UserProfilePatch, at: number): Promise<void>
  /**
   * Deletes the user for every lookup (soft: the row stays for history) and frees its email
   * address for a new user of the company.
   */
  markDeleted(companyId: string, id: string, at: number): Promise<void>
  /** Multi-row inserts in chunks: all-or-nothing only inside `store.transaction`. */
  insertMany(users: readonly User[]): Promise<void>
  /** Which of these addresses (compared case-insensitively) belong to users; lower-cased. */
  existingEmails(companyId: string, emails: readonly string[]): Promise<string[]>
  /**
   * Users whose lower-cased email contains `query.emailLike` lower-cased (a plain substring: `%`
   * and `_` match themselves), ordered by lower-cased email in code-point order — a unique key
   * per company, so the order is total. Either `offset` rows are skipped, or the page starts
   * after the key `after` (keyset).
   */
  searchByEmail(
    companyId: string,
    query: { emailLike: string; limit: number; offset?: number; after?: string },
  ): Promise<User[]>
  /** How many users `searchByEmail` matches (with `through`: only keys `<= through`). */
  countByEmail(
    companyId: string,
    emailLike: string,
    options?: { through?: string },
  ): Promise<number>
}

export type UserProfilePatch = Partial<
  Pick<User, 'firstName' | 'lastName' | 'smsNumber' | 'voiceNumber'>
>

/** A user with its stored lock states and latest emergency code (`findDetailsByEmail`). */
export interface StoredUserDetails {
  user: User
  locks: MethodLockState[]
  latestCode: EmergencyCode | undefined
}

export interface EmergencyCode {
  id: string
  companyId: string
  userId: string
  issuedAt: number
  expiresAt: number
  offlineExpiresAt: number | null
  oneTimeUse: boolean
  /** Set when revoked online (disabled, replaced or consumed). */
  revokedAt: number | null
  lastUsedAt: number | null
}

export interface NewEmergencyCode extends EmergencyCode {
  /** Keyed hash of the normalised code (`SecretBox.hash('eac', …)`); never the code. */
  codeHash: string
}

export interface EmergencyCodeRepository {
  insert(code: NewEmergencyCode): Promise<void>
  /** Revokes every online code of the user not yet revoked; returns how many. */
  revokeActive(companyId: string, userId: string, at: number): Promise<number>
  /** The user's active (not revoked) code if there is one, else the most recently issued. */
  findLatest(companyId: string, userId: string): Promise<EmergencyCode | undefined>
  /**
   * One online use of the code whose hash this is: a single conditional UPDATE of the user's
   * active, unexpired code with that hash, stamping `lastUsedAt` and, for a `oneTimeUse` code,
   * revoking it. True when a row changed: of parallel uses of a one-time code exactly one wins.
   */
  useOnline(companyId: string, userId: string, codeHash: string, at: number): Promise<boolean>
}

export interface LockRepository {
  /** Every method with a failure count or a lock; methods never failed are absent. */
  list(companyId: string, userId: string): Promise<MethodLockState[]>
  /** Clears the lock and the failure count of each method. */
  unlock(companyId: string, userId: string, methods: readonly LockableMethod[]): Promise<void>
  /**
   * Counts one failure in a single statement (insert or increment) that also sets the lock
   * once the count reaches `maxFailedAttempts`; a locked method's count no longer grows.
   * Returns the state after the statement. No read-modify-write: parallel failures all count.
   */
  recordFailure(
    companyId: string,
    userId: string,
    method: LockableMethod,
    at: number,
    maxFailedAttempts: number,
  ): Promise<MethodLockState>
  /** A success: clears the failure count unless the method is locked. */
  resetFailures(companyId: string, userId: string, method: LockableMethod): Promise<void>
  /** Auto-unlock: clears a lock set at or before `lockedBefore`; returns how many. */
  clearLockedBefore(
    companyId: string,
    userId: string,
    method: LockableMethod,
    lockedBefore: number,
  ): Promise<number>
}

export interface TokenRepository {
  insertMany(tokens: readonly NewHardwareToken[]): Promise<void>
  /** Which of these serials already exist in the company. */
  existingSerials(companyId: string, serials: readonly string[]): Promise<string[]>
  findBySerial(
    companyId: string,
    serial: string,
    options?: { forUpdate?: boolean },
  ): Promise<HardwareToken | undefined>
  countAssigned(companyId: string, userId: string): Promise<number>
  listAssigned(companyId: string, userId: string): Promise<HardwareToken[]>
  assign(
    companyId: string,
    serial: string,
    change: { userId: string; name: string; at: number; by: string | null },
  ): Promise<void>
  setStatus(
    companyId: string,
    serial: string,
    change: { status: TokenStatus; at: number; by: string | null },
  ): Promise<void>
  /**
   * Back to `Unassigned`/`Disabled` with no holder and no PIN; the status change time and
   * author move only if the token was `Enabled`.
   */
  unassign(
    companyId: string,
    serial: string,
    change: { at: number; by: string | null },
  ): Promise<void>
  /** Unassigns (as `unassign`) every token of the user; returns their serials. */
  unassignAll(
    companyId: string,
    userId: string,
    change: { at: number; by: string | null },
  ): Promise<string[]>
  /** Seed ciphertext, PIN hash and replay/drift state: for verification only. */
  findSecret(companyId: string, serial: string): Promise<TokenSecret | undefined>
  /**
   * Records an accepted tokencode step (and the token's drift) only if no equal or later step
   * was accepted before; `Activation Pending` becomes `Activated`. False means a replay.
   */
  recordUse(
    companyId: string,
    serial: string,
    use: { step: number; drift: number; at: number },
  ): Promise<boolean>
  /** Stores the keyed hash of a new PIN and marks the PIN set. */
  setPin(companyId: string, serial: string, pinHash: string): Promise<void>
  /** Forgets the PIN (`pinSet` false, and any stored PIN with it). */
  clearPin(companyId: string, serial: string): Promise<void>
  remove(companyId: string, serial: string): Promise<void>
}

export interface ApiKeyRepository {
  insert(key: ApiKey): Promise<void>
  findByAccessId(accessId: string): Promise<ApiKey | undefined>
  list(companyId: string): Promise<ApiKey[]>
  countActive(companyId: string): Promise<number>
  /** Marks the key revoked (once); returns the key as it now is, or undefined if unknown. */
  revoke(companyId: string, accessId: string, at: number): Promise<ApiKey | undefined>
  touch(accessId: string, at: number): Promise<void>
}

export interface AuditRepository {
  /**
   * Links the event into its company's chain of its kind (`auditKindOf`) and stores it. The
   * chain head is locked until the transaction ends (PostgreSQL: the head row `FOR UPDATE`), so
   * two transactions appending to one chain never take the same predecessor. Outside a
   * transaction (`store.read`) it runs in one of its own.
   */
  append(event: AuditEvent): Promise<void>
  /** Oldest first. */
  list(companyId: string, options?: { limit?: number }): Promise<StoredAuditEvent[]>
  /** How many events of the kind fall in `(after, onOrBefore]`. */
  count(companyId: string, kind: AuditKind, range: AuditTimeRange): Promise<number>
  /** The events of the kind in `(after, onOrBefore]`, by time then id, from `offset`. */
  find(
    companyId: string,
    kind: AuditKind,
    range: AuditTimeRange,
    page: { offset: number; limit: number },
  ): Promise<StoredAuditEvent[]>
  /**
   * Every chain (company and kind) that has a head or events; of one company if given.
   * `headsOnly` skips the scan for events without a head (which only tampering makes).
   */
  chains(
    companyId?: string,
    options?: { headsOnly?: boolean },
  ): Promise<{ companyId: string; kind: AuditKind }[]>
  head(companyId: string, kind: AuditKind): Promise<ChainHead | undefined>
  /** Events of one chain in chain order (by id), after `afterId`. */
  chainEvents(
    companyId: string,
    kind: AuditKind,
    afterId: number,
    limit: number,
  ): Promise<ChainedAuditEvent[]>
  /**
   * Retention, in a transaction: deletes the chain's oldest events up to (not past) the first
   * one at or after `before`, at most `limit`, and makes the newest deleted hash the anchor.
   * Returns how many were deleted.
   */
  purge(companyId: string, kind: AuditKind, before: number, limit: number): Promise<number>
}

/** Epoch ms; `after` exclusive (absent: from the start), `onOrBefore` inclusive. */
export interface AuditTimeRange {
  after?: number
  onOrBefore: number
}

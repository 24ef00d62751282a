import type { ApiKey } from './api-keys.js'
import type { AuditEvent, StoredAuditEvent } from './audit.js'
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
  updateStatus(companyId: string, id: string, status: UserStatus, at: number): Promise<void>
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
}

export interface LockRepository {
  /** Every method with a failure count or a lock; methods never failed are absent. */
  list(companyId: string, userId: string): Promise<MethodLockState[]>
  /** Clears the lock and the failure count of each method. */
  unlock(companyId: string, userId: string, methods: readonly LockableMethod[]): Promise<void>
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
  append(event: AuditEvent): Promise<void>
  /** Oldest first. */
  list(companyId: string, options?: { limit?: number }): Promise<StoredAuditEvent[]>
}

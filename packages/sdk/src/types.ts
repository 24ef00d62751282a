/**
 * Request and response bodies of the Cloud Administration REST API (tokendesk's
 * `admin-api.md`). Hand-written, and checked against the server: `test/openapi-drift.test.ts`
 * reads these declarations with the TypeScript compiler and compares every operation of
 * {@link Operations} with the schema the server publishes at `/openapi.json` (property names,
 * required-ness, nullability and primitive types, recursively), so they cannot drift apart.
 */

/** An ISO-8601 UTC timestamp with milliseconds, e.g. `"2026-11-23T10:00:00.000Z"`. */
export type Timestamp = string

/** `"Enabled"` or `"Disabled"`. */
export type AccessStatus = 'Enabled' | 'Disabled'

/** The two roles of an Administration API key. */
export type Role = 'SUPER_ADMIN' | 'HELP_DESK_ADMIN'

/**
 * The Administration API key file (admin-api.md §2), as downloaded once when the key is
 * created. `accessKey` is the PKCS#1 PEM private key: keep the file private (mode 0600).
 * `description` is `null` when the key was created without one.
 */
export interface KeyFile {
  customerName: string
  accessID: string
  description: string | null
  accessKey: string
  adminRestApiUrl: string
}

// §6 Emergency tokencodes

/** `PUT /v1/users/{userId}/emergencyTokencode`: a whole number of days 1–7, string or integer. */
export interface EmergencyTokencodeRequest {
  expirationDays?: string | number
}

/** The code is in this response only: it is never shown again. */
export interface EmergencyTokencode {
  emergencyTokencodeId: string
  emergencyTokencode: string
  expirationDate: Timestamp
  offlineExpirationDate: Timestamp | null
}

export type ExpiryUnit = 'minutes' | 'hours' | 'days'

/** `PUT /v2/users/{userId}/emergencyTokencode`; `expiryUnit` and `expiryValue` go together. */
export type EmergencyTokencodeV2Request = { oneTimeUse?: boolean } & (
  | { expiryUnit: ExpiryUnit; expiryValue: number }
  | { expiryUnit?: never; expiryValue?: never }
)

export interface EmergencyTokencodeV2 extends EmergencyTokencode {
  oneTimeUse: boolean
  configurationsLocked: boolean
  configurationsUsed: { expiryValue: number; expiryUnit: ExpiryUnit; oneTimeUse: boolean }
}

export interface EmergencyTokencodeDisabled {
  userId: string
  emergencyAccessStatus: 'Disabled'
  offlineEmergencyAccessStatus: AccessStatus
  offlineEmergencyTokencodeExpiration: Timestamp | null
}

// §7 Unlock

/** Documented: `TOKEN`, `SMS`, `VOICE`; tokendesk extensions: `SECURID`, `EMERGENCY_TOKENCODE`. */
export type LockableMethod = 'TOKEN' | 'SMS' | 'VOICE' | 'SECURID' | 'EMERGENCY_TOKENCODE'

/** A non-empty list of distinct methods. */
export interface UnlockRequest {
  unlockMethods: [LockableMethod, ...LockableMethod[]]
}

/** The state of every documented method after the unlock, whichever were named. */
export interface UnlockResult {
  userId: string
  isTokenLocked: boolean
  isSmsLocked: boolean
  isVoiceLocked: boolean
}

// §8 Hardware tokens

export interface TokenSerialRequest {
  /** 1–36 characters; leading zeros are significant. */
  tokenSerialNumber: string
}

export interface TokenStatusResult {
  userId: string
  tokenSerialNumber: string
  tokenStatus: AccessStatus
  tokenStatusChangedBy: string | null
  tokenStatusChangedAt: Timestamp | null
}

export interface TokenAssignRequest extends TokenSerialRequest {
  tokenName?: string
}

export interface TokenAssignResult {
  userId: string
  tokenSerialNumber: string
  tokenName: string
  tokenState: string
  tokenStatus: AccessStatus
  assignedAt: Timestamp | null
  assignedBy: string | null
}

export interface TokenUnassignResult {
  tokenSerialNumber: string
  tokenState: 'Unassigned'
}

export interface ClearPinResult {
  userId: string
  tokenSerialNumber: string
  /** A string, as RSA documents it. */
  pinSet: 'false'
}

/** The deleted token, as it was before deletion. */
export interface TokenDeleted {
  tokenSerialNumber: string
  tokenName: string
  tokenState: string
  tokenStatus: AccessStatus
  userId: string | null
}

/** A hardware token as the devices listing shows it. */
export interface SidToken {
  id: string
  name: string
  userId: string
  tokenSerialNumber: string
  tokenState: string
  tokenStatus: AccessStatus
  assignedAt: Timestamp | null
  assignedBy: string | null
  /** A string, as in RSA's responses. */
  pinSet: 'true' | 'false'
  tokenStatusChangedAt: Timestamp | null
  tokenStatusChangedBy: string | null
  expiryDate: null
  tokenStatusReason: null
}

/** `GET /v2/users/{userId}/devices`. tokendesk has no mobile or FIDO devices: those lists are empty. */
export interface UserDevices {
  devices: Record<string, never>[]
  fidoTokens: Record<string, never>[]
  sidTokens: SidToken[]
}

export interface TokenImportRequest {
  tokens: {
    tokenSerialNumber: string
    /** Base32 seed. */
    secret: string
    algorithm?: 'TOTP'
    digits?: 6 | 8
    period?: number
  }[]
}

/** A PSKC (RFC 6030) document, with the key that protects it, if any. */
export interface PskcImportRequest {
  pskc: string
  /** Hex of the pre-shared key of an encrypted document (RFC 6030 §6.1). */
  preSharedKey?: string
  /** The password of a PBKDF2-protected document (RFC 6030 §6.2). */
  password?: string
}

export type TokenImportResult =
  | { imported: number; tokenSerialNumbers: string[] }
  | { imported: 0; wouldImport: number }

// §9 Users

export interface LookupRequest {
  email: string
  searchUnsynched?: boolean
}

/** The User Details object (rsa-cas-api.md §6.1): every field RSA documents. */
export interface UserDetails {
  id: string
  emailAddress: string
  firstName: string | null
  lastName: string | null
  creationDate: Timestamp
  identitySource: string | null
  userStatus: AccessStatus
  highRiskUser: boolean
  markDeleted: boolean
  markDeletedAt: Timestamp | null
  markDeletedBy: string | null
  isTokenLocked: boolean
  isSmsLocked: boolean
  isVoiceLocked: boolean
  isFingerprintLocked: boolean
  isApproveLocked: boolean
  lastSyncTime: Timestamp | null
  emergencyAccessStatus: AccessStatus
  emergencyTokencodeId: string | null
  emergencyTokencodeExpiration: Timestamp | null
  emergencyTokencodeLastUse: Timestamp | null
  emergencyTokencodeOneTimeUse: boolean | null
  offlineEmergencyTokencodeExpiration: Timestamp | null
  offlineEmergencyAccessStatus: AccessStatus
  monthLastAuthenticated: string | null
  lastSuccessfulAuthenticationMethod: string | null
  lastSuccessfulAuthenticationDate: Timestamp | null
  principalUsername: string
  alternateUsername: string | null
  primaryUniqueIdentifier: string
  secondaryUniqueIdentifier: string | null
  smsNumber: string | null
  voiceNumber: string | null
  identitySourceSpecificGroups: string[]
  globalGroups: string[]
}

export interface UserSearchRequest {
  /** Substring of the email address, case-insensitive (`""` matches every user). */
  emailLike: string
}

/** `POST /v2/users/search`: `pageNumber` is zero-based, `pageSize` 1–25 (default 25). */
export interface UserSearchV2Request extends UserSearchRequest {
  pageSize?: number
  pageNumber?: number
  /** [ext] `nextPageToken` of the previous page (keyset paging; not with `pageNumber`). */
  pageToken?: string
}

export interface UserSearchPage {
  totalPages: number
  totalElements: number
  pageSize: number
  currentPage: number
  /** [ext] Pass as `pageToken` for the next page; `null` on the last one. */
  nextPageToken: string | null
  elements: UserDetails[]
}

export interface UserStatusRequest {
  userStatus: AccessStatus
}

export interface CreateUserRequest {
  emailAddress: string
  firstName?: string | null
  lastName?: string | null
  userStatus?: AccessStatus
  smsNumber?: string | null
  voiceNumber?: string | null
}

/** Names and phone numbers; what is absent is unchanged, `null` clears. */
export interface UpdateUserRequest {
  firstName?: string | null
  lastName?: string | null
  smsNumber?: string | null
  voiceNumber?: string | null
}

export interface UserDeleted {
  userId: string
  emailAddress: string
  deletedAt: Timestamp
  revokedEmergencyTokencodes: number
  unassignedTokenSerialNumbers: string[]
}

export type UserImportResult = { imported: number } | { imported: 0; wouldImport: number }

/** The Authenticate OTP registration; `otpauthUri` carries the seed and is shown once. */
export interface TotpRegistration {
  otpauthUri: string
  /** The seed, base32 without padding. */
  secret: string
  algorithm: 'SHA1'
  digits: number
  period: number
}

// §10 Company settings, keys, logs

export interface CompanySettings {
  emergencyAccessCode: {
    expiryValue: number
    expiryUnit: ExpiryUnit
    oneTimeUse: boolean
    locked: boolean
    length: number
    alphabet: 'NUMERIC' | 'ALPHANUMERIC'
    offlineEnabled: boolean
    offlineValidityDays: number
  }
  lockout: { maxFailedAttempts: number; autoUnlockAfterMinutes: number | null }
  rateLimit: { requestsPerSecond: number; burst: number }
}

/** A merge: what is absent is unchanged. */
export interface CompanySettingsPatch {
  emergencyAccessCode?: Partial<CompanySettings['emergencyAccessCode']>
  lockout?: Partial<CompanySettings['lockout']>
  rateLimit?: Partial<CompanySettings['rateLimit']>
}

export interface ApiKeyCreateRequest {
  role: Role
  description?: string
}

export interface ApiKeySummary {
  accessID: string
  role: string
  description: string | null
  createdAt: Timestamp
  lastUsedAt: Timestamp | null
  revokedAt: Timestamp | null
}

export interface ApiKeyRevoked {
  accessID: string
  revokedAt: Timestamp
}

export interface AgentKeyCreateRequest {
  description?: string
}

/** The agent key file of the Authentication API: shown once. */
export interface AgentKeyFile {
  customerName: string
  clientKeyId: string
  clientKey: string
  authnApiUrl: string
}

export interface AgentKeySummary {
  clientKeyId: string
  description: string | null
  createdAt: Timestamp
  revokedAt: Timestamp | null
}

export interface AgentKeyRevoked {
  clientKeyId: string
  revokedAt: Timestamp
}

/** Query of the log exports: `startTimeAfter` is exclusive, `endTimeOnOrBefore` inclusive. */
export interface LogExportQuery {
  startTimeAfter?: string
  endTimeOnOrBefore?: string
  pageNumber?: number
  pageSize?: number
}

/** An audit trail entry, with the fields of RSA's admin log export. */
export interface AdminLogEntry {
  eventId: number
  eventLogDate: Timestamp
  eventType: string
  serverURL: string
  serverIPAddress: string | null
  application: string
  customerId: number | null
  customerName: string
  sourceIPAddress: string | null
  adminUserName: string
  adminUserRole: string | null
  activityKey: string
  activityCode: number
  result: 'SUCCESS' | 'FAIL'
  reasonKey: string
  message: string
  requiresPublish: boolean
  targetObject1Id: string | null
  targetObject1Name: string | null
  targetObject1Type: string | null
  targetObject2Id: string | null
  targetObject2Name: string | null
  targetObject2Type: string | null
}

export interface AdminLogPage {
  totalPages: number
  totalElements: number
  pageSize: number
  currentPage: number
  elements: AdminLogEntry[]
}

/** A user event (authentications…), with the fields of RSA's user event log export. */
export interface UserEventLogEntry {
  eventId: number
  eventLogDate: Timestamp
  eventType: string
  eventLevel: string
  eventCategory: string
  serverIPAddress: string | null
  tenantId: string
  customerName: string
  userId: string | null
  sourceIPAddress: string | null
  eventCode: string
  eventDescription: string
  application: string | null
  method: string | null
  deviceName: string | null
  deviceId: string | null
  policyId: string | null
  policyName: string | null
  authenticationDetails: string | null
  assuranceLevel: string | null
  verboseFlag: string | null
  userActivityId: string | null
  transactionId: string | null
}

export interface UserEventLogPage {
  totalPages: number
  totalElements: number
  pageSize: number
  currentPage: number
  userEventLogExportEntries: UserEventLogEntry[]
}

/**
 * Every operation: its request body (`undefined`: none) and its success response. The client's
 * methods are typed from this map, and the drift test compares each entry with the server's
 * OpenAPI document, so the names here are what users see.
 */
export interface Operations {
  enableEmergencyTokencode: { request: EmergencyTokencodeRequest; response: EmergencyTokencode }
  enableEmergencyTokencodeV2: {
    request: EmergencyTokencodeV2Request
    response: EmergencyTokencodeV2
  }
  disableEmergencyTokencode: { request: undefined; response: EmergencyTokencodeDisabled }
  unlockMethods: { request: UnlockRequest; response: UnlockResult }
  enableToken: { request: TokenSerialRequest; response: TokenStatusResult }
  disableToken: { request: TokenSerialRequest; response: TokenStatusResult }
  assignToken: { request: TokenAssignRequest; response: TokenAssignResult }
  unassignToken: { request: TokenSerialRequest; response: TokenUnassignResult }
  clearTokenPin: { request: TokenSerialRequest; response: ClearPinResult }
  deleteToken: { request: TokenSerialRequest; response: TokenDeleted }
  importTokens: { request: TokenImportRequest; response: TokenImportResult }
  importTokensPskc: { request: PskcImportRequest; response: TokenImportResult }
  listDevices: { request: undefined; response: UserDevices }
  lookupUser: { request: LookupRequest; response: UserDetails }
  searchUsers: { request: UserSearchRequest; response: UserDetails[] }
  searchUsersV2: { request: UserSearchV2Request; response: UserSearchPage }
  setUserStatus: { request: UserStatusRequest; response: UserDetails }
  createUser: { request: CreateUserRequest; response: UserDetails }
  updateUser: { request: UpdateUserRequest; response: UserDetails }
  deleteUser: { request: undefined; response: UserDeleted }
  importUsers: { request: string; response: UserImportResult }
  registerTotp: { request: Record<string, never>; response: TotpRegistration }
  getCompanySettings: { request: undefined; response: CompanySettings }
  updateCompanySettings: { request: CompanySettingsPatch; response: CompanySettings }
  createApiKey: { request: ApiKeyCreateRequest; response: KeyFile }
  listApiKeys: { request: undefined; response: ApiKeySummary[] }
  revokeApiKey: { request: undefined; response: ApiKeyRevoked }
  createAgentKey: { request: AgentKeyCreateRequest; response: AgentKeyFile }
  listAgentKeys: { request: undefined; response: AgentKeySummary[] }
  revokeAgentKey: { request: undefined; response: AgentKeyRevoked }
  exportAdminLog: { request: undefined; response: AdminLogPage }
  exportUserEventLog: { request: undefined; response: UserEventLogPage }
}

export type OperationName = keyof Operations

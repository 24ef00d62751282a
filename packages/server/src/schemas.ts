import { type Static, type TSchema, Type } from '@sinclair/typebox'

/** A string from a fixed list: one `enum` keyword, so a wrong value gets one clear message. */
const StringEnum = <const T extends readonly string[]>(values: T, options: object = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

/**
 * Request and response schemas of the administration API. Requests are validated strictly
 * (unknown properties and wrong types are 400); responses are serialised through these schemas,
 * so a documented response never carries an undocumented key.
 */
const strict = { additionalProperties: false } as const

/**
 * `T` or `null`, as a type list (`"type": ["string", "null"]`, JSON Schema 2020-12 and OpenAPI
 * 3.1), not an `anyOf`: fast-json-stringify serialises a type list with a `typeof` test, but an
 * `anyOf` by running an ajv validator over the value, per field and per answer (User Details has
 * twenty such fields, its dates checked against the `date-time` format each time).
 */
const Nullable = <T extends TSchema & { type: 'string' | 'integer' | 'number' | 'boolean' }>(
  schema: T,
) =>
  // Object.entries: the JSON Schema keywords only, not TypeBox's symbol-keyed kind of `schema`.
  Type.Unsafe<Static<T> | null>({
    ...Object.fromEntries(Object.entries(schema)),
    type: [schema.type, 'null'],
  })
const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-23T10:00:00.000Z'] })
const Uuid = Type.String({ format: 'uuid' })

export const ErrorBody = Type.Object(
  {
    code: Type.String({ examples: ['404 NOT_FOUND'] }),
    description: Type.String(),
  },
  { ...strict, $id: 'ErrorBody', description: 'Business error (admin-api.md §4).' },
)

export const AuthErrorBody = Type.Object(
  {
    timestamp: Type.Integer(),
    status: Type.Literal(403),
    error: Type.Literal('Forbidden'),
    message: Type.String(),
    path: Type.String(),
  },
  { ...strict, $id: 'AuthErrorBody', description: 'Authentication failure (Spring style).' },
)

export const UserIdParams = Type.Object({ userId: Type.String() }, strict)

// §6 Emergency tokencodes
export const EacV1Body = Type.Object(
  {
    expirationDays: Type.Optional(
      Type.Union([Type.String(), Type.Integer()], {
        description: 'Whole number of days, 1–7, as a JSON string or integer.',
        examples: ['7'],
      }),
    ),
  },
  strict,
)

const eacV1Fields = {
  emergencyTokencodeId: Uuid,
  emergencyTokencode: Type.String({ description: 'Shown once, here only.' }),
  expirationDate: Timestamp,
  offlineExpirationDate: Nullable(Timestamp),
}
export const EacV1Response = Type.Object(eacV1Fields, strict)

export const EXPIRY_UNIT = StringEnum(['minutes', 'hours', 'days'])

export const EacV2Body = Type.Object(
  {
    oneTimeUse: Type.Optional(Type.Boolean()),
    expiryUnit: Type.Optional(Type.String({ description: 'minutes, hours or days' })),
    expiryValue: Type.Optional(Type.Integer()),
  },
  strict,
)

export const EacV2Response = Type.Object(
  {
    ...eacV1Fields,
    oneTimeUse: Type.Boolean(),
    configurationsLocked: Type.Boolean(),
    configurationsUsed: Type.Object(
      { expiryValue: Type.Integer(), expiryUnit: EXPIRY_UNIT, oneTimeUse: Type.Boolean() },
      strict,
    ),
  },
  strict,
)

export const EacDeleteParams = Type.Object({ userId: Type.String(), eacId: Type.String() }, strict)

const AccessStatus = StringEnum(['Enabled', 'Disabled'])

export const EacDeleteResponse = Type.Object(
  {
    userId: Uuid,
    emergencyAccessStatus: Type.Literal('Disabled'),
    offlineEmergencyAccessStatus: AccessStatus,
    offlineEmergencyTokencodeExpiration: Nullable(Timestamp),
  },
  strict,
)

// §7 Unlock
export const LockableMethod = StringEnum([
  'TOKEN',
  'SMS',
  'VOICE',
  'SECURID',
  'EMERGENCY_TOKENCODE',
])

export const UnlockBody = Type.Object(
  { unlockMethods: Type.Array(LockableMethod, { minItems: 1, maxItems: 5, uniqueItems: true }) },
  strict,
)

export const UnlockResponse = Type.Object(
  {
    userId: Uuid,
    isTokenLocked: Type.Boolean(),
    isSmsLocked: Type.Boolean(),
    isVoiceLocked: Type.Boolean(),
  },
  strict,
)

// §8 Hardware tokens
const Serial = Type.String({ minLength: 1, maxLength: 36, examples: ['000123456789'] })

export const TokenSerialBody = Type.Object({ tokenSerialNumber: Serial }, strict)

export const TokenStatusResponse = Type.Object(
  {
    userId: Uuid,
    tokenSerialNumber: Type.String(),
    tokenStatus: AccessStatus,
    tokenStatusChangedBy: Nullable(Type.String()),
    tokenStatusChangedAt: Nullable(Timestamp),
  },
  strict,
)

export const TokenAssignBody = Type.Object(
  {
    tokenSerialNumber: Serial,
    tokenName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  strict,
)

export const TokenAssignResponse = Type.Object(
  {
    userId: Uuid,
    tokenSerialNumber: Type.String(),
    tokenName: Type.String(),
    tokenState: Type.String(),
    tokenStatus: AccessStatus,
    assignedAt: Nullable(Timestamp),
    assignedBy: Nullable(Type.String()),
  },
  strict,
)

export const TokenImportBody = Type.Object(
  {
    tokens: Type.Array(
      Type.Object(
        {
          tokenSerialNumber: Serial,
          secret: Type.String({ minLength: 16, maxLength: 128, description: 'Base32 seed.' }),
          algorithm: Type.Optional(Type.Literal('TOTP')),
          digits: Type.Optional(Type.Union([Type.Literal(6), Type.Literal(8)])),
          period: Type.Optional(Type.Integer({ minimum: 10, maximum: 300 })),
        },
        strict,
      ),
      { minItems: 1, maxItems: 100_000 },
    ),
  },
  strict,
)

/** The PSKC (RFC 6030) form of the token import: the document itself (`application/pskc+xml`). */
export const PskcDocument = Type.String({
  description:
    'A PSKC (RFC 6030) document, UTF-8, with its seeds in clear. An encrypted document needs its key: send it to POST /v1/sidTokens/import/pskc.',
})

export const DryRunQuery = Type.Object(
  { dryRun: Type.Optional(StringEnum(['true', 'false'])) },
  strict,
)

export const TokenImportResponse = Type.Union([
  Type.Object({ imported: Type.Integer(), tokenSerialNumbers: Type.Array(Type.String()) }, strict),
  Type.Object({ imported: Type.Literal(0), wouldImport: Type.Integer() }, strict),
])

// §9 Users
export const LookupBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    searchUnsynched: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const UserStatusBody = Type.Object(
  { userStatus: StringEnum(['Enabled', 'Disabled']) },
  strict,
)

const OptionalText = (maxLength: number) => Type.Optional(Nullable(Type.String({ maxLength })))

export const CreateUserBody = Type.Object(
  {
    emailAddress: Type.String({ minLength: 3, maxLength: 254 }),
    firstName: OptionalText(100),
    lastName: OptionalText(100),
    userStatus: Type.Optional(StringEnum(['Enabled', 'Disabled'])),
    smsNumber: OptionalText(32),
    voiceNumber: OptionalText(32),
  },
  strict,
)

/** User Details (rsa-cas-api.md §6.1): every field RSA documents, `null` where tokendesk has none. */
export const UserDetailsResponse = Type.Object(
  {
    id: Uuid,
    emailAddress: Type.String(),
    firstName: Nullable(Type.String()),
    lastName: Nullable(Type.String()),
    creationDate: Timestamp,
    identitySource: Nullable(Type.String()),
    userStatus: AccessStatus,
    highRiskUser: Type.Boolean(),
    markDeleted: Type.Boolean(),
    markDeletedAt: Nullable(Timestamp),
    markDeletedBy: Nullable(Type.String()),
    isTokenLocked: Type.Boolean(),
    isSmsLocked: Type.Boolean(),
    isVoiceLocked: Type.Boolean(),
    isFingerprintLocked: Type.Boolean(),
    isApproveLocked: Type.Boolean(),
    lastSyncTime: Nullable(Timestamp),
    emergencyAccessStatus: AccessStatus,
    emergencyTokencodeId: Nullable(Uuid),
    emergencyTokencodeExpiration: Nullable(Timestamp),
    emergencyTokencodeLastUse: Nullable(Timestamp),
    emergencyTokencodeOneTimeUse: Nullable(Type.Boolean()),
    offlineEmergencyTokencodeExpiration: Nullable(Timestamp),
    offlineEmergencyAccessStatus: AccessStatus,
    monthLastAuthenticated: Nullable(Type.String()),
    lastSuccessfulAuthenticationMethod: Nullable(Type.String()),
    lastSuccessfulAuthenticationDate: Nullable(Timestamp),
    principalUsername: Type.String(),
    alternateUsername: Nullable(Type.String()),
    primaryUniqueIdentifier: Type.String(),
    secondaryUniqueIdentifier: Nullable(Type.String()),
    smsNumber: Nullable(Type.String()),
    voiceNumber: Nullable(Type.String()),
    identitySourceSpecificGroups: Type.Array(Type.String()),
    globalGroups: Type.Array(Type.String()),
  },
  strict,
)

// §10 Company settings
const settingsShape = {
  emergencyAccessCode: {
    expiryValue: Type.Integer({ minimum: 1, maximum: 10_080 }),
    expiryUnit: EXPIRY_UNIT,
    oneTimeUse: Type.Boolean(),
    locked: Type.Boolean(),
    length: Type.Integer({ minimum: 6, maximum: 16 }),
    alphabet: StringEnum(['NUMERIC', 'ALPHANUMERIC']),
    offlineEnabled: Type.Boolean(),
    offlineValidityDays: Type.Integer({ minimum: 1, maximum: 30 }),
  },
  lockout: {
    maxFailedAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
    autoUnlockAfterMinutes: Nullable(Type.Integer({ minimum: 1, maximum: 99_999 })),
  },
  rateLimit: {
    requestsPerSecond: Type.Integer({ minimum: 1, maximum: 100_000 }),
    burst: Type.Integer({ minimum: 1, maximum: 200_000 }),
  },
}

export const SettingsResponse = Type.Object(
  {
    emergencyAccessCode: Type.Object(settingsShape.emergencyAccessCode, strict),
    lockout: Type.Object(settingsShape.lockout, strict),
    rateLimit: Type.Object(settingsShape.rateLimit, strict),
  },
  strict,
)

export const SettingsPatchBody = Type.Object(
  {
    emergencyAccessCode: Type.Optional(
      Type.Partial(Type.Object(settingsShape.emergencyAccessCode, strict)),
    ),
    lockout: Type.Optional(Type.Partial(Type.Object(settingsShape.lockout, strict))),
    rateLimit: Type.Optional(Type.Partial(Type.Object(settingsShape.rateLimit, strict))),
  },
  strict,
)

// §10 API keys
export const ApiKeyCreateBody = Type.Object(
  {
    role: StringEnum(['SUPER_ADMIN', 'HELP_DESK_ADMIN']),
    description: Type.Optional(Type.String({ maxLength: 255 })),
  },
  strict,
)

export const ApiKeyFileResponse = Type.Object(
  {
    customerName: Type.String(),
    accessID: Uuid,
    description: Nullable(Type.String({ description: '`null` when none was given.' })),
    accessKey: Type.String({ description: 'PKCS#1 PEM private key. Shown once.' }),
    adminRestApiUrl: Type.String(),
  },
  strict,
)

export const ApiKeyListResponse = Type.Array(
  Type.Object(
    {
      accessID: Uuid,
      role: Type.String(),
      description: Nullable(Type.String()),
      createdAt: Timestamp,
      lastUsedAt: Nullable(Timestamp),
      revokedAt: Nullable(Timestamp),
    },
    strict,
  ),
)

export const AccessIdParams = Type.Object({ accessID: Type.String() }, strict)

export const ApiKeyRevokeResponse = Type.Object({ accessID: Uuid, revokedAt: Timestamp }, strict)

export const HealthResponse = Type.Object(
  {
    status: StringEnum(['ok', 'unavailable']),
    checks: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
)

// §8.2 Hardware token neighbours (issue 4)
export const TokenUnassignResponse = Type.Object(
  { tokenSerialNumber: Type.String(), tokenState: Type.Literal('Unassigned') },
  strict,
)

export const TokenClearPinResponse = Type.Object(
  {
    userId: Uuid,
    tokenSerialNumber: Type.String(),
    pinSet: Type.Literal('false', { description: 'A string, as in RSA’s response.' }),
  },
  strict,
)

export const TokenDeleteResponse = Type.Object(
  {
    tokenSerialNumber: Type.String(),
    tokenName: Type.String(),
    tokenState: Type.String(),
    tokenStatus: AccessStatus,
    userId: Nullable(Uuid),
  },
  { ...strict, description: 'The token as it was before deletion.' },
)

const SidTokenDevice = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    userId: Uuid,
    tokenSerialNumber: Type.String(),
    tokenState: Type.String(),
    tokenStatus: AccessStatus,
    assignedAt: Nullable(Timestamp),
    assignedBy: Nullable(Type.String()),
    pinSet: StringEnum(['true', 'false'], { description: 'A string, as in RSA’s responses.' }),
    tokenStatusChangedAt: Nullable(Timestamp),
    tokenStatusChangedBy: Nullable(Type.String()),
    expiryDate: Type.Null(),
    tokenStatusReason: Type.Null(),
  },
  strict,
)

export const DevicesResponse = Type.Object(
  {
    devices: Type.Array(Type.Object({}, strict)),
    fidoTokens: Type.Array(Type.Object({}, strict)),
    sidTokens: Type.Array(SidTokenDevice),
  },
  strict,
)

// §9 Users: search, update, delete, import (issue 4)
const Digits = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description })

export const SearchV1Query = Type.Object(
  { pageSize: Type.Optional(Digits('Users per page, 1–25 (default 25).')) },
  strict,
)

export const SearchV2Query = Type.Object(
  {
    pageSize: Type.Optional(Digits('Users per page, 1–25 (default 25).')),
    pageNumber: Type.Optional(Digits('Zero-based page number (default 0).')),
  },
  strict,
)

export const SearchV1Body = Type.Object(
  {
    emailLike: Type.String({
      maxLength: 254,
      description: 'A plain substring of the email address, case-insensitive ("" matches all).',
    }),
  },
  strict,
)

export const SearchV2Body = Type.Object(
  {
    emailLike: SearchV1Body.properties.emailLike,
    pageSize: Type.Optional(Type.Integer({ description: 'Also accepted in the query.' })),
    pageNumber: Type.Optional(Type.Integer({ description: 'Also accepted in the query.' })),
    pageToken: Type.Optional(
      Type.String({
        maxLength: 2048,
        description:
          '[ext] nextPageToken of the previous page: keyset paging, not with pageNumber.',
      }),
    ),
  },
  strict,
)

export const SearchV1Response = Type.Array(UserDetailsResponse)

export const SearchV2Response = Type.Object(
  {
    totalPages: Type.Integer(),
    totalElements: Type.Integer(),
    pageSize: Type.Integer(),
    currentPage: Type.Integer(),
    nextPageToken: Nullable(Type.String({ description: '[ext] keyset cursor of the next page.' })),
    elements: Type.Array(UserDetailsResponse),
  },
  strict,
)

export const UpdateUserBody = Type.Object(
  {
    firstName: OptionalText(100),
    lastName: OptionalText(100),
    smsNumber: OptionalText(32),
    voiceNumber: OptionalText(32),
  },
  strict,
)

export const DeleteUserResponse = Type.Object(
  {
    userId: Uuid,
    emailAddress: Type.String(),
    deletedAt: Timestamp,
    revokedEmergencyTokencodes: Type.Integer(),
    unassignedTokenSerialNumbers: Type.Array(Type.String()),
  },
  strict,
)

export const UserImportResponse = Type.Union([
  Type.Object({ imported: Type.Integer() }, strict),
  Type.Object({ imported: Type.Literal(0), wouldImport: Type.Integer() }, strict),
])

export const ImportErrorBody = Type.Object(
  {
    code: Type.String({ examples: ['400 BAD_REQUEST'] }),
    description: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ line: Type.Integer(), description: Type.String() }, strict)),
    ),
  },
  { ...strict, description: 'Business error; `errors` lists every bad row of an import file.' },
)

// Log exports (rsa-authn-and-logs.md §2.3–2.6): every parameter is a string on the wire, checked
// by the route (400 in the business shape); unknown parameters (the Azure app's `page`) pass.
export const LogExportQuery = Type.Object({
  startTimeAfter: Type.Optional(Type.String({ description: 'Exclusive; ISO-8601.' })),
  endTimeOnOrBefore: Type.Optional(
    Type.String({ description: 'Inclusive; ISO-8601; default now.' }),
  ),
  pageNumber: Type.Optional(Type.String({ description: 'Zero-based; default 0.' })),
  pageSize: Type.Optional(Type.String({ description: '1–100 (larger is clamped); default 100.' })),
})

const NullableString = Nullable(Type.String())
const logEnvelope = {
  totalPages: Type.Integer(),
  totalElements: Type.Integer(),
  pageSize: Type.Integer(),
  currentPage: Type.Integer(),
}

export const AdminLogEntry = Type.Object(
  {
    eventId: Type.Integer(),
    eventLogDate: Timestamp,
    eventType: Type.String(),
    serverURL: Type.String(),
    serverIPAddress: NullableString,
    application: Type.String(),
    customerId: Nullable(Type.Integer()),
    customerName: Type.String(),
    sourceIPAddress: NullableString,
    adminUserName: Type.String(),
    adminUserRole: NullableString,
    activityKey: Type.String(),
    activityCode: Type.Integer(),
    result: StringEnum(['SUCCESS', 'FAIL']),
    reasonKey: Type.String(),
    message: Type.String(),
    requiresPublish: Type.Boolean(),
    targetObject1Id: NullableString,
    targetObject1Name: NullableString,
    targetObject1Type: NullableString,
    targetObject2Id: NullableString,
    targetObject2Name: NullableString,
    targetObject2Type: NullableString,
  },
  strict,
)

export const AdminLogResponse = Type.Object(
  { ...logEnvelope, elements: Type.Array(AdminLogEntry) },
  strict,
)

export const UserEventLogEntry = Type.Object(
  {
    eventId: Type.Integer(),
    eventLogDate: Timestamp,
    eventType: Type.String(),
    eventLevel: Type.String(),
    eventCategory: Type.String(),
    serverIPAddress: NullableString,
    tenantId: Type.String(),
    customerName: Type.String(),
    userId: NullableString,
    sourceIPAddress: NullableString,
    eventCode: Type.String(),
    eventDescription: Type.String(),
    application: NullableString,
    method: NullableString,
    deviceName: NullableString,
    deviceId: NullableString,
    policyId: NullableString,
    policyName: NullableString,
    authenticationDetails: NullableString,
    assuranceLevel: NullableString,
    verboseFlag: NullableString,
    userActivityId: NullableString,
    transactionId: NullableString,
  },
  strict,
)

export const UserEventLogResponse = Type.Object(
  { ...logEnvelope, userEventLogExportEntries: Type.Array(UserEventLogEntry) },
  strict,
)

// [ext] Agent keys (the Authentication API's client-key) and Authenticate OTP registration
export const AgentKeyCreateBody = Type.Object(
  { description: Type.Optional(Type.String({ maxLength: 255 })) },
  strict,
)

export const AgentKeyFileResponse = Type.Object(
  {
    customerName: Type.String(),
    clientKeyId: Uuid,
    clientKey: Type.String({ description: 'The client-key: shown once, here only.' }),
    authnApiUrl: Type.String(),
  },
  strict,
)

export const AgentKeyListResponse = Type.Array(
  Type.Object(
    {
      clientKeyId: Uuid,
      description: Nullable(Type.String()),
      createdAt: Timestamp,
      revokedAt: Nullable(Timestamp),
    },
    strict,
  ),
)

export const AgentKeyIdParams = Type.Object({ clientKeyId: Type.String() }, strict)

export const AgentKeyRevokeResponse = Type.Object(
  { clientKeyId: Uuid, revokedAt: Timestamp },
  strict,
)

/** admin-api.md §9: TOTP registration takes no body, or `{}` (and nothing else). */
export const EmptyBody = Type.Object({}, strict)

/** admin-api.md §9: exactly these keys; the seed is shown once, here only. */
export const TotpRegistrationResponse = Type.Object(
  {
    otpauthUri: Type.String({ description: 'otpauth://totp/… carrying the seed.' }),
    secret: Type.String({ description: 'The seed, base32 (RFC 4648) without padding.' }),
    algorithm: Type.Literal('SHA1'),
    digits: Type.Integer(),
    period: Type.Integer(),
  },
  strict,
)

export const PskcImportBody = Type.Object(
  {
    pskc: Type.String({ minLength: 1, description: 'The PSKC (RFC 6030) XML document.' }),
    preSharedKey: Type.Optional(
      Type.String({ description: 'Hex of the pre-shared key of an encrypted document (§6.1).' }),
    ),
    password: Type.Optional(
      Type.String({ description: 'The password of a PBKDF2-protected document (§6.2).' }),
    ),
  },
  strict,
)

import { type TSchema, Type } from '@sinclair/typebox'

/** A string from a fixed list: one `enum` keyword, so a wrong value gets one clear message. */
const StringEnum = <const T extends readonly string[]>(values: T, options: object = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

/**
 * Request and response schemas of the administration API. Requests are validated strictly
 * (unknown properties and wrong types are 400); responses are serialised through these schemas,
 * so a documented response never carries an undocumented key.
 */
const strict = { additionalProperties: false } as const
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
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
    description: Type.String(),
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

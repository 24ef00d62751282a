import { DomainError } from './errors.js'

/**
 * Company settings (admin-api.md §5–§7, §10). Defaults are the contract's; every value is
 * range-checked here so that no storage engine or edge can hold an out-of-range setting.
 */
export const EXPIRY_UNITS = ['minutes', 'hours', 'days'] as const
export type ExpiryUnit = (typeof EXPIRY_UNITS)[number]

export const CODE_ALPHABETS = ['NUMERIC', 'ALPHANUMERIC'] as const
export type CodeAlphabet = (typeof CODE_ALPHABETS)[number]

export interface EmergencyAccessCodeSettings {
  expiryValue: number
  expiryUnit: ExpiryUnit
  oneTimeUse: boolean
  locked: boolean
  length: number
  alphabet: CodeAlphabet
  offlineEnabled: boolean
  offlineValidityDays: number
}

export interface LockoutSettings {
  maxFailedAttempts: number
  autoUnlockAfterMinutes: number | null
}

export interface RateLimitSettings {
  requestsPerSecond: number
  burst: number
}

export interface CompanySettings {
  emergencyAccessCode: EmergencyAccessCodeSettings
  lockout: LockoutSettings
  rateLimit: RateLimitSettings
}

export interface CompanySettingsPatch {
  emergencyAccessCode?: Partial<EmergencyAccessCodeSettings>
  lockout?: Partial<LockoutSettings>
  rateLimit?: Partial<RateLimitSettings>
}

export const DEFAULT_SETTINGS: CompanySettings = Object.freeze({
  emergencyAccessCode: Object.freeze({
    expiryValue: 3,
    expiryUnit: 'days',
    oneTimeUse: false,
    locked: false,
    length: 8,
    alphabet: 'ALPHANUMERIC',
    offlineEnabled: true,
    offlineValidityDays: 7,
  }),
  lockout: Object.freeze({ maxFailedAttempts: 3, autoUnlockAfterMinutes: null }),
  rateLimit: Object.freeze({ requestsPerSecond: 50, burst: 100 }),
}) as CompanySettings

export const MINUTE_MS = 60_000
export const DAY_MS = 86_400_000
const UNIT_MS: Record<ExpiryUnit, number> = { minutes: MINUTE_MS, hours: 3_600_000, days: DAY_MS }

/** The online validity of an emergency code: 1 minute to 7 days (admin-api.md §6.2). */
export const MIN_EAC_VALIDITY_MS = MINUTE_MS
export const MAX_EAC_VALIDITY_MS = 7 * DAY_MS

export const validityMs = (value: number, unit: ExpiryUnit): number => value * UNIT_MS[unit]

const invalid = (message: string) => new DomainError('VALIDATION_FAILED', { message })

const intInRange = (name: string, value: number, min: number, max: number): void => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be a whole number from ${min} to ${max}.`)
  }
}

/** Throws `VALIDATION_FAILED` naming the first setting out of range. */
export const validateSettings = (settings: CompanySettings): CompanySettings => {
  const eac = settings.emergencyAccessCode
  intInRange('emergencyAccessCode.expiryValue', eac.expiryValue, 1, 10_080)
  const validity = validityMs(eac.expiryValue, eac.expiryUnit)
  if (validity < MIN_EAC_VALIDITY_MS || validity > MAX_EAC_VALIDITY_MS) {
    throw invalid('emergencyAccessCode validity must be between 1 minute and 7 days.')
  }
  intInRange('emergencyAccessCode.length', eac.length, 6, 16)
  intInRange('emergencyAccessCode.offlineValidityDays', eac.offlineValidityDays, 1, 30)
  intInRange('lockout.maxFailedAttempts', settings.lockout.maxFailedAttempts, 1, 20)
  const autoUnlock = settings.lockout.autoUnlockAfterMinutes
  if (autoUnlock !== null) intInRange('lockout.autoUnlockAfterMinutes', autoUnlock, 1, 99_999)
  intInRange('rateLimit.requestsPerSecond', settings.rateLimit.requestsPerSecond, 1, 100_000)
  intInRange('rateLimit.burst', settings.rateLimit.burst, 1, 200_000)
  return settings
}

/** A merge: what the patch leaves out is unchanged (admin-api.md §10). */
export const mergeSettings = (
  current: CompanySettings,
  patch: CompanySettingsPatch,
): CompanySettings =>
  validateSettings({
    emergencyAccessCode: { ...current.emergencyAccessCode, ...patch.emergencyAccessCode },
    lockout: { ...current.lockout, ...patch.lockout },
    rateLimit: { ...current.rateLimit, ...patch.rateLimit },
  })

/**
 * Settings as stored may predate a newer setting: fill what is missing from the defaults so
 * that old rows keep working after an upgrade.
 */
export const withDefaults = (stored: CompanySettingsPatch): CompanySettings => ({
  emergencyAccessCode: { ...DEFAULT_SETTINGS.emergencyAccessCode, ...stored.emergencyAccessCode },
  lockout: { ...DEFAULT_SETTINGS.lockout, ...stored.lockout },
  rateLimit: { ...DEFAULT_SETTINGS.rateLimit, ...stored.rateLimit },
})

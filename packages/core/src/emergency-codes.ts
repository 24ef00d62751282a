import { DomainError } from './errors.js'
import type { Random } from './ports.js'
import {
  type CodeAlphabet,
  DAY_MS,
  type EmergencyAccessCodeSettings,
  EXPIRY_UNITS,
  type ExpiryUnit,
  MAX_EAC_VALIDITY_MS,
  MIN_EAC_VALIDITY_MS,
  validityMs,
} from './settings.js'

/**
 * Emergency tokencodes (admin-api.md §6).
 * - Drawn from a CSPRNG by rejection sampling, so every symbol is equally likely (no modulo bias).
 * - ALPHANUMERIC leaves out 0 O 1 I L, which people misread; codes verify case-insensitively.
 * - Validity: v1 takes 1–7 whole days; v2 takes 1 minute to 7 days.
 */
export const ALPHABETS: Record<CodeAlphabet, string> = {
  NUMERIC: '0123456789',
  ALPHANUMERIC: '23456789ABCDEFGHJKMNPQRSTUVWXYZ',
}

export const generateCode = (random: Random, length: number, alphabet: CodeAlphabet): string => {
  const symbols = ALPHABETS[alphabet]
  const limit = 256 - (256 % symbols.length)
  let code = ''
  while (code.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte >= limit) continue
      code += symbols[byte % symbols.length]
      if (code.length === length) break
    }
  }
  return code
}

/** The form a code is hashed in: upper-cased, surrounding spaces dropped. */
export const normalizeCode = (code: string): string => code.trim().toUpperCase()

export interface EmergencyCodeTerms {
  validityMs: number
  expiryValue: number
  expiryUnit: ExpiryUnit
  oneTimeUse: boolean
}

const invalidExpiration = () => new DomainError('INVALID_EXPIRATION')

/**
 * `expirationDays` of the v1 call: a JSON string or integer holding a whole number 1–7.
 * `undefined` means "not sent". Anything else (`"0"`, `8`, `"7.5"`, `null`, `true`) is 400.
 */
export const parseExpirationDays = (value: unknown): number | undefined => {
  if (value === undefined) return undefined
  let days: number
  if (typeof value === 'number') days = value
  else if (typeof value === 'string' && /^[0-9]{1,2}$/.test(value)) days = Number(value)
  else throw invalidExpiration()
  if (!Number.isInteger(days) || days < 1 || days > 7) throw invalidExpiration()
  return days
}

/** Terms of a v1 code: the requested days, or the company's, when the settings are locked. */
export const termsV1 = (
  settings: EmergencyAccessCodeSettings,
  expirationDays: unknown,
): EmergencyCodeTerms => {
  const days = parseExpirationDays(expirationDays)
  if (days === undefined || settings.locked) return companyTerms(settings)
  return {
    validityMs: days * DAY_MS,
    expiryValue: days,
    expiryUnit: 'days',
    oneTimeUse: settings.oneTimeUse,
  }
}

export interface V2Request {
  oneTimeUse?: boolean
  expiryUnit?: string
  expiryValue?: number
}

/** Terms of a v2 code. Unit and value come together; values are checked even when locked. */
export const termsV2 = (
  settings: EmergencyAccessCodeSettings,
  request: V2Request,
): EmergencyCodeTerms => {
  const { expiryUnit, expiryValue } = request
  if ((expiryUnit === undefined) !== (expiryValue === undefined)) throw invalidExpiration()
  let requested: EmergencyCodeTerms | undefined
  if (expiryUnit !== undefined && expiryValue !== undefined) {
    if (!(EXPIRY_UNITS as readonly string[]).includes(expiryUnit)) throw invalidExpiration()
    if (!Number.isInteger(expiryValue) || expiryValue < 1) throw invalidExpiration()
    const unit = expiryUnit as ExpiryUnit
    const ms = validityMs(expiryValue, unit)
    if (ms < MIN_EAC_VALIDITY_MS || ms > MAX_EAC_VALIDITY_MS) throw invalidExpiration()
    requested = {
      validityMs: ms,
      expiryValue,
      expiryUnit: unit,
      oneTimeUse: request.oneTimeUse ?? settings.oneTimeUse,
    }
  }
  if (settings.locked) return companyTerms(settings)
  if (requested) return requested
  return { ...companyTerms(settings), oneTimeUse: request.oneTimeUse ?? settings.oneTimeUse }
}

const companyTerms = (settings: EmergencyAccessCodeSettings): EmergencyCodeTerms => ({
  validityMs: validityMs(settings.expiryValue, settings.expiryUnit),
  expiryValue: settings.expiryValue,
  expiryUnit: settings.expiryUnit,
  oneTimeUse: settings.oneTimeUse,
})

export const offlineExpiry = (
  settings: EmergencyAccessCodeSettings,
  issuedAt: number,
): number | null =>
  settings.offlineEnabled ? issuedAt + settings.offlineValidityDays * DAY_MS : null

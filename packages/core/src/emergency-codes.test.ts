import { describe, expect, it } from 'vitest'
import {
  ALPHABETS,
  generateCode,
  parseExpirationDays,
  termsV1,
  termsV2,
} from './emergency-codes.js'
import { DomainError } from './errors.js'
import type { Random } from './ports.js'
import { DAY_MS, DEFAULT_SETTINGS, MINUTE_MS } from './settings.js'

const bytesRandom = (bytes: number[]): Random => {
  let index = 0
  return {
    bytes: (length) => Uint8Array.from({ length }, () => bytes[index++ % bytes.length] as number),
    uuid: () => '00000000-0000-4000-8000-000000000000',
  }
}

const eac = DEFAULT_SETTINGS.emergencyAccessCode

describe('generateCode', () => {
  it('never uses a byte that would bias the alphabet (rejection sampling)', () => {
    // 31 symbols: bytes >= 248 must be skipped, so 248..255 never appear as a symbol.
    const code = generateCode(bytesRandom([248, 255, 0, 30, 31]), 3, 'ALPHANUMERIC')
    expect(code).toBe(
      `${ALPHABETS.ALPHANUMERIC[0]}${ALPHABETS.ALPHANUMERIC[30]}${ALPHABETS.ALPHANUMERIC[0]}`,
    )
  })

  it('draws the requested length from the alphabet, without look-alike characters', () => {
    const random: Random = {
      bytes: (length) => Uint8Array.from({ length }, (_, i) => (i * 37) % 256),
      uuid: () => '',
    }
    const code = generateCode(random, 16, 'ALPHANUMERIC')
    expect(code).toHaveLength(16)
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]+$/)
    expect(generateCode(random, 6, 'NUMERIC')).toMatch(/^[0-9]{6}$/)
  })
})

describe('parseExpirationDays', () => {
  it.each([
    ['7', 7],
    [1, 1],
    ['1', 1],
    [undefined, undefined],
  ])('accepts %j', (input, expected) => {
    expect(parseExpirationDays(input)).toBe(expected)
  })

  it.each([['0'], [8], ['7.5'], [7.5], ['abc'], [null], [true], [''], [' 7'], ['-1'], [[7]]])(
    'rejects %j as INVALID_EXPIRATION',
    (input) => {
      expect(() => parseExpirationDays(input)).toThrowError(
        expect.objectContaining({ code: 'INVALID_EXPIRATION' }) as unknown as DomainError,
      )
    },
  )
})

describe('terms', () => {
  it('v1 uses the requested days unless the company settings are locked', () => {
    expect(termsV1(eac, '2').validityMs).toBe(2 * DAY_MS)
    expect(termsV1({ ...eac, locked: true }, '2').validityMs).toBe(3 * DAY_MS)
    expect(termsV1(eac, undefined)).toMatchObject({ expiryValue: 3, expiryUnit: 'days' })
  })

  it('v1 validates the value even when locked', () => {
    expect(() => termsV1({ ...eac, locked: true }, '9')).toThrow(DomainError)
  })

  it('v2 takes unit and value together, 1 minute to 7 days', () => {
    expect(termsV2(eac, { expiryUnit: 'minutes', expiryValue: 1 }).validityMs).toBe(MINUTE_MS)
    expect(termsV2(eac, { expiryUnit: 'hours', expiryValue: 168 }).validityMs).toBe(7 * DAY_MS)
    for (const bad of [
      { expiryUnit: 'hours', expiryValue: 169 },
      { expiryUnit: 'minutes', expiryValue: 0 },
      { expiryUnit: 'weeks', expiryValue: 1 },
      { expiryUnit: 'days' },
      { expiryValue: 2 },
    ]) {
      expect(() => termsV2(eac, bad)).toThrow(DomainError)
    }
  })

  it('v2 reports the company values when locked', () => {
    const locked = { ...eac, locked: true, oneTimeUse: true }
    expect(termsV2(locked, { expiryUnit: 'minutes', expiryValue: 5, oneTimeUse: false })).toEqual({
      validityMs: 3 * DAY_MS,
      expiryValue: 3,
      expiryUnit: 'days',
      oneTimeUse: true,
    })
  })
})

import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS, mergeSettings, withDefaults } from './settings.js'

describe('company settings', () => {
  it('merges a partial change and keeps the rest', () => {
    const merged = mergeSettings(DEFAULT_SETTINGS, { lockout: { maxFailedAttempts: 5 } })
    expect(merged.lockout).toEqual({ maxFailedAttempts: 5, autoUnlockAfterMinutes: null })
    expect(merged.emergencyAccessCode).toEqual(DEFAULT_SETTINGS.emergencyAccessCode)
  })

  it('rejects values out of range, naming the setting', () => {
    expect(() => mergeSettings(DEFAULT_SETTINGS, { lockout: { maxFailedAttempts: 21 } })).toThrow(
      /maxFailedAttempts/,
    )
    expect(() =>
      mergeSettings(DEFAULT_SETTINGS, {
        emergencyAccessCode: { expiryValue: 8, expiryUnit: 'days' },
      }),
    ).toThrow(/7 days/)
  })

  it('fills settings missing from an older stored row with the defaults', () => {
    expect(withDefaults({ lockout: { maxFailedAttempts: 4 } })).toEqual({
      ...DEFAULT_SETTINGS,
      lockout: { maxFailedAttempts: 4, autoUnlockAfterMinutes: null },
    })
  })
})

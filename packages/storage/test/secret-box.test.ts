import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSecretBox } from '../src/index.js'

describe('secret box', () => {
  const key = randomBytes(32)
  const box = createSecretBox(key)
  const seed = randomBytes(20)
  const aad = 'tokens.seed:company-1:000123'

  it('round-trips a seed, with a fresh IV every time', () => {
    const sealed = box.encrypt(seed, aad)
    expect(sealed[0]).toBe(1)
    expect(sealed.byteLength).toBe(1 + 12 + 16 + seed.length)
    expect(Buffer.from(box.decrypt(sealed, aad)).equals(seed)).toBe(true)
    expect(Buffer.from(box.encrypt(seed, aad)).equals(Buffer.from(sealed))).toBe(false)
    // Another box over the same key opens it; one over another key does not.
    expect(Buffer.from(createSecretBox(Buffer.from(key)).decrypt(sealed, aad)).equals(seed)).toBe(
      true,
    )
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed, aad)).toThrow(/Decryption failed/)
  })

  it('refuses a ciphertext with any byte flipped', () => {
    const sealed = box.encrypt(seed, aad)
    for (let i = 0; i < sealed.byteLength; i++) {
      const tampered = Uint8Array.from(sealed)
      tampered[i] = (tampered[i] ?? 0) ^ 0x01
      expect(() => box.decrypt(tampered, aad)).toThrow(/Decryption failed/)
    }
    expect(() => box.decrypt(sealed.subarray(0, 28), aad)).toThrow(/Decryption failed/)
  })

  it('refuses the wrong associated data', () => {
    const sealed = box.encrypt(seed, aad)
    expect(() => box.decrypt(sealed, 'tokens.seed:company-1:123')).toThrow(/Decryption failed/)
    expect(() => box.decrypt(sealed, '')).toThrow(/Decryption failed/)
  })

  it('hashes deterministically per purpose, differently across purposes and keys', () => {
    const hash = box.hash('eac', 'ABCD1234')
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(box.hash('eac', 'ABCD1234')).toBe(hash)
    expect(createSecretBox(Buffer.from(key)).hash('eac', 'ABCD1234')).toBe(hash)
    expect(box.hash('agent', 'ABCD1234')).not.toBe(hash)
    expect(box.hash('eac', 'ABCD1235')).not.toBe(hash)
    expect(createSecretBox(randomBytes(32)).hash('eac', 'ABCD1234')).not.toBe(hash)
  })

  it('matches HKDF-SHA-256 then HMAC-SHA-256 (a fixed vector)', () => {
    const fixed = createSecretBox(Buffer.alloc(32, 7))
    expect(fixed.hash('eac', 'code')).toBe(FIXED_VECTOR)
  })

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(31))).toThrow(RangeError)
  })
})

const FIXED_VECTOR = '8861e43e183bf11d7ee7a2e13f1da9b27ba34ad7089592ca479b726e75bf523e'

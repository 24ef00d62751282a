import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { findTotpStep, hmacSha1, hmacSha1Key, hotp, sha1, totp, totpStep } from './otp.js'

const ascii = (text: string) => new TextEncoder().encode(text)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('SHA-1 and HMAC-SHA-1', () => {
  it('match FIPS 180 and RFC 2202 vectors', () => {
    expect(hex(sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(hex(sha1(ascii('')))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
    expect(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    )
    expect(hex(hmacSha1(ascii('Jefe'), ascii('what do ya want for nothing?')))).toBe(
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    )
    // RFC 2202 case 6: a key longer than the block is hashed first.
    expect(
      hex(
        hmacSha1(
          new Uint8Array(80).fill(0xaa),
          ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
        ),
      ),
    ).toBe('aa4ae5e15272d00e95705637ce8a3b55ed402112')
  })

  it('agree with node:crypto at every length around the block and padding boundaries', () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff)
    for (let length = 0; length <= 200; length++) {
      const message = bytes.subarray(0, length)
      expect(hex(sha1(message))).toBe(createHash('sha1').update(message).digest('hex'))
    }
    for (const keyLength of [0, 1, 20, 63, 64, 65, 130]) {
      const key = bytes.subarray(200 - keyLength)
      const prepared = hmacSha1Key(key)
      for (const length of [0, 8, 55, 56, 64, 119, 120]) {
        const message = bytes.subarray(0, length)
        const expected = createHmac('sha1', key).update(message).digest('hex')
        expect(hex(hmacSha1(key, message))).toBe(expected)
        expect(hex(hmacSha1(prepared, message))).toBe(expected)
      }
    }
  })
})

describe('HOTP (RFC 4226 Appendix D)', () => {
  const secret = ascii('12345678901234567890')
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ]
  it('computes the ten published values', () => {
    expect(expected.map((_, counter) => hotp(secret, counter, 6))).toEqual(expected)
  })
})

describe('TOTP (RFC 6238 Appendix B, SHA-1)', () => {
  const secret = ascii('12345678901234567890')
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ]
  it.each(vectors)('at T=%i computes %s', (seconds, code) => {
    expect(totp(secret, seconds * 1000, 30, 8)).toBe(code)
  })

  it('finds a code one step away and nothing outside the window', () => {
    const step = totpStep(1111111111_000, 30)
    const previous = hotp(secret, step - 1, 6)
    expect(findTotpStep(secret, previous, step, 1, 6)).toBe(step - 1)
    const far = hotp(secret, step + 5, 6)
    expect(findTotpStep(secret, far, step, 1, 6)).toBeUndefined()
    expect(findTotpStep(secret, far, step, 10, 6)).toBe(step + 5)
  })
})

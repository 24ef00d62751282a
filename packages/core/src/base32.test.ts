import { describe, expect, it } from 'vitest'
import { decodeBase32, encodeBase32 } from './base32.js'

describe('base32 (RFC 4648 §10 test vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ]
  it.each(vectors)('%j ↔ %s', (plain, encoded) => {
    expect(encodeBase32(new TextEncoder().encode(plain))).toBe(encoded)
    expect(new TextDecoder().decode(decodeBase32(`${encoded.toLowerCase()}==`))).toBe(plain)
  })

  it('rejects characters outside the alphabet', () => {
    expect(decodeBase32('MZXW1')).toBeUndefined()
  })
})

/**
 * The server's randomness (platform.ts): bytes come from a pool refilled 4 KiB at a time, so
 * every draw must still be fresh — never a byte handed out twice, never a short or zeroed draw,
 * across refills and for draws larger than the pool.
 */
import { describe, expect, it } from 'vitest'
import { pooledRandomBytes } from '../../src/platform.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('pooled random bytes', () => {
  it('gives every draw its own bytes, across many refills of the pool', () => {
    const seen = new Set<string>()
    // 10,000 draws: about 40 refills. 16 divides 4096, so draws of 13 bytes are mixed in for
    // draws that would straddle a refill.
    for (let i = 0; i < 10_000; i++) {
      const draw = pooledRandomBytes(i % 7 === 0 ? 13 : 16)
      expect(draw).toHaveLength(i % 7 === 0 ? 13 : 16)
      seen.add(hex(draw))
    }
    expect(seen.size).toBe(10_000)
  })

  it('serves draws larger than the pool, and keeps the drawn bytes apart from the pool', () => {
    expect(pooledRandomBytes(10_000)).toHaveLength(10_000)
    const draw = pooledRandomBytes(32)
    const copy = hex(draw)
    pooledRandomBytes(4096) // a refill: the earlier draw is not a view of the pool
    expect(hex(draw)).toBe(copy)
    // Over 64 KiB of draws, each byte value turns up (the pool is never handed out zeroed).
    const counts = new Array<number>(256).fill(0)
    for (let i = 0; i < 4096; i++)
      for (const byte of pooledRandomBytes(16)) counts[byte] = (counts[byte] ?? 0) + 1
    expect(Math.min(...counts)).toBeGreaterThan(100)
  })
})

/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) arithmetic, written once for every method that uses it
 * (Authenticate OTP, hardware tokens). HMAC-SHA-1 is computed here in plain TypeScript so that
 * the domain stays free of platform modules; the RFC test vectors pin it down (otp.test.ts).
 */

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n))

/** SHA-1 (FIPS 180-4), as HOTP's HMAC needs it. */
export const sha1 = (message: Uint8Array): Uint8Array => {
  const bitLength = message.length * 8
  const padded = new Uint8Array((((message.length + 8) >> 6) + 1) * 64)
  padded.set(message)
  padded[message.length] = 0x80
  const view = new DataView(padded.buffer)
  view.setUint32(padded.length - 8, Math.floor(bitLength / 2 ** 32))
  view.setUint32(padded.length - 4, bitLength >>> 0)
  let h0 = 0x67452301
  let h1 = 0xefcdab89
  let h2 = 0x98badcfe
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0
  const w = new Uint32Array(80)
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4)
    for (let i = 16; i < 80; i++) {
      w[i] = rotl(
        (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number),
        1,
      )
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 80; i++) {
      let f: number
      let k: number
      if (i < 20) {
        f = (b & c) | (~b & d)
        k = 0x5a827999
      } else if (i < 40) {
        f = b ^ c ^ d
        k = 0x6ed9eba1
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d)
        k = 0x8f1bbcdc
      } else {
        f = b ^ c ^ d
        k = 0xca62c1d6
      }
      const t = (rotl(a, 5) + f + e + k + (w[i] as number)) >>> 0
      e = d
      d = c
      c = rotl(b, 30) >>> 0
      b = a
      a = t
    }
    h0 = (h0 + a) >>> 0
    h1 = (h1 + b) >>> 0
    h2 = (h2 + c) >>> 0
    h3 = (h3 + d) >>> 0
    h4 = (h4 + e) >>> 0
  }
  const out = new Uint8Array(20)
  const outView = new DataView(out.buffer)
  for (const [i, h] of [h0, h1, h2, h3, h4].entries()) outView.setUint32(i * 4, h)
  return out
}

/** HMAC (RFC 2104) over SHA-1, block size 64. */
export const hmacSha1 = (key: Uint8Array, message: Uint8Array): Uint8Array => {
  const block = new Uint8Array(64)
  block.set(key.length > 64 ? sha1(key) : key)
  const inner = new Uint8Array(64 + message.length)
  const outer = new Uint8Array(64 + 20)
  for (let i = 0; i < 64; i++) {
    inner[i] = (block[i] as number) ^ 0x36
    outer[i] = (block[i] as number) ^ 0x5c
  }
  inner.set(message, 64)
  outer.set(sha1(inner), 64)
  return sha1(outer)
}

/** HOTP(K, C) (RFC 4226 §5.3): HMAC-SHA-1 of the 8-byte counter, dynamic truncation, mod 10^d. */
export const hotp = (key: Uint8Array, counter: number, digits: number): string => {
  const message = new Uint8Array(8)
  const view = new DataView(message.buffer)
  view.setUint32(0, Math.floor(counter / 2 ** 32))
  view.setUint32(4, counter >>> 0)
  const hash = hmacSha1(key, message)
  const offset = (hash[19] as number) & 0x0f
  const binary =
    (((hash[offset] as number) & 0x7f) << 24) |
    ((hash[offset + 1] as number) << 16) |
    ((hash[offset + 2] as number) << 8) |
    (hash[offset + 3] as number)
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** The TOTP time step of `nowMs` (RFC 6238 §4.2, T0 = 0). */
export const totpStep = (nowMs: number, periodSeconds: number): number =>
  Math.floor(nowMs / 1000 / periodSeconds)

export const totp = (key: Uint8Array, nowMs: number, periodSeconds: number, digits: number) =>
  hotp(key, totpStep(nowMs, periodSeconds), digits)

/** Constant-time comparison of two codes of the same alphabet. */
export const codesEqual = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * The step within `center ± window` whose code equals `code`, nearest to `center` first, or
 * undefined. Every candidate is computed, so timing does not reveal which step matched.
 */
export const findTotpStep = (
  key: Uint8Array,
  code: string,
  center: number,
  window: number,
  digits: number,
): number | undefined => {
  let found: number | undefined
  const order = [0]
  for (let d = 1; d <= window; d++) order.push(-d, d)
  for (const delta of order) {
    const step = center + delta
    if (step < 0) continue
    if (codesEqual(hotp(key, step, digits), code) && found === undefined) found = step
  }
  return found
}

/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) arithmetic, written once for every method that uses it
 * (Authenticate OTP, hardware tokens). HMAC-SHA-1 is computed here in plain TypeScript so that
 * the domain stays free of platform modules; the RFC test vectors pin it down (otp.test.ts).
 * It is on the verification path (every TOTP check computes three codes, a SecurID resync
 * dozens), so it allocates little and hashes a key's HMAC pads once per check.
 */

const INITIAL_STATE = Int32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0)

/** The message schedule, reused by every compression (JavaScript runs one at a time). */
const schedule = new Int32Array(80)

/** SHA-1's compression function (FIPS 180-4 §6.1.2): one 64-byte block into `state`. */
const compress = (state: Int32Array, block: DataView, at: number): void => {
  const w = schedule
  for (let i = 0; i < 16; i++) w[i] = block.getInt32(at + i * 4)
  for (let i = 16; i < 80; i++) {
    const x =
      (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number)
    w[i] = (x << 1) | (x >>> 31)
  }
  let a = state[0] as number
  let b = state[1] as number
  let c = state[2] as number
  let d = state[3] as number
  let e = state[4] as number
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
    const t = (((a << 5) | (a >>> 27)) + f + e + k + (w[i] as number)) | 0
    e = d
    d = c
    c = (b << 30) | (b >>> 2)
    b = a
    a = t
  }
  state[0] = ((state[0] as number) + a) | 0
  state[1] = ((state[1] as number) + b) | 0
  state[2] = ((state[2] as number) + c) | 0
  state[3] = ((state[3] as number) + d) | 0
  state[4] = ((state[4] as number) + e) | 0
}

/** The last one or two blocks of a message (its tail, padding and length), reused likewise. */
const tail = new Uint8Array(128)
const tailView = new DataView(tail.buffer)
/** The state being hashed, and the inner digest of an HMAC, reused likewise. */
const working = new Int32Array(5)
const innerDigest = new Uint8Array(20)

/**
 * Hashes `message` on from `state` (which has absorbed `prefixBytes`, a multiple of 64, before
 * it) into `working`: the message's whole blocks, then its tail, padding and length.
 */
const hashOn = (state: Int32Array, prefixBytes: number, message: Uint8Array): void => {
  working.set(state)
  const whole = message.length - (message.length % 64)
  if (whole > 0) {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength)
    for (let at = 0; at < whole; at += 64) compress(working, view, at)
  }
  const rest = message.length - whole
  const size = rest < 56 ? 64 : 128
  tail.fill(0, 0, size)
  for (let i = 0; i < rest; i++) tail[i] = message[whole + i] as number
  tail[rest] = 0x80
  const bits = (prefixBytes + message.length) * 8
  tailView.setUint32(size - 8, Math.floor(bits / 2 ** 32))
  tailView.setUint32(size - 4, bits >>> 0)
  for (let at = 0; at < size; at += 64) compress(working, tailView, at)
}

/** `working` as the 20 bytes of a digest. */
const writeDigest = (out: Uint8Array): Uint8Array => {
  for (let i = 0; i < 5; i++) {
    const word = working[i] as number
    out[i * 4] = word >>> 24
    out[i * 4 + 1] = word >>> 16
    out[i * 4 + 2] = word >>> 8
    out[i * 4 + 3] = word
  }
  return out
}

/** SHA-1 (FIPS 180-4), as HOTP's HMAC needs it. */
export const sha1 = (message: Uint8Array): Uint8Array => {
  hashOn(INITIAL_STATE, 0, message)
  return writeDigest(new Uint8Array(20))
}

/**
 * An HMAC-SHA-1 key with its inner and outer pads already hashed (RFC 2104 §4): each MAC under
 * it then costs two compressions for a short message instead of four.
 */
export interface HmacSha1Key {
  readonly inner: Int32Array
  readonly outer: Int32Array
}

export const hmacSha1Key = (key: Uint8Array): HmacSha1Key => {
  const k = key.length > 64 ? sha1(key) : key
  const pad = (byte: number): Int32Array => {
    const block = new Uint8Array(64)
    for (let i = 0; i < 64; i++) block[i] = (k[i] ?? 0) ^ byte
    const state = INITIAL_STATE.slice()
    compress(state, new DataView(block.buffer), 0)
    return state
  }
  return { inner: pad(0x36), outer: pad(0x5c) }
}

/** HMAC (RFC 2104) over SHA-1, block size 64. */
export const hmacSha1 = (key: Uint8Array | HmacSha1Key, message: Uint8Array): Uint8Array => {
  const k = key instanceof Uint8Array ? hmacSha1Key(key) : key
  hashOn(k.inner, 64, message)
  hashOn(k.outer, 64, writeDigest(innerDigest))
  return writeDigest(new Uint8Array(20))
}

/** HOTP(K, C) (RFC 4226 §5.3): HMAC-SHA-1 of the 8-byte counter, dynamic truncation, mod 10^d. */
export const hotp = (key: Uint8Array | HmacSha1Key, counter: number, digits: number): string => {
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
  const mac = hmacSha1Key(key)
  const order = [0]
  for (let d = 1; d <= window; d++) order.push(-d, d)
  for (const delta of order) {
    const step = center + delta
    if (step < 0) continue
    if (codesEqual(hotp(mac, step, digits), code) && found === undefined) found = step
  }
  return found
}

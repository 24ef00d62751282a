import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import type { SecretBox } from '@tokendesk/core'

/**
 * The server's secrets, derived from one secret key (at least 32 bytes) with HKDF-SHA-256
 * (RFC 5869, empty salt), one subkey per use so that no key serves two purposes:
 * - `hash(purpose, value)`: hex HMAC-SHA-256 under the subkey `tokendesk:hash:<purpose>`.
 * - `encrypt`/`decrypt`: AES-256-GCM under the subkey `tokendesk:encrypt`, with a random
 *   96-bit IV and `aad` as associated data. Layout: `0x01 || iv (12) || tag (16) || ciphertext`;
 *   the version byte leaves room for another scheme later.
 * Derivations are part of the stored data's format: changing one orphans every hash and seed.
 */
export const createSecretBox = (secretKey: Uint8Array): SecretBox => {
  if (secretKey.byteLength < MIN_KEY_BYTES) {
    throw new RangeError(`The secret key must be at least ${MIN_KEY_BYTES} bytes.`)
  }
  const master = Buffer.from(secretKey)
  const encryptionKey = derive(master, 'tokendesk:encrypt')
  const hashKeys = new Map<string, Buffer>()

  const hashKey = (purpose: string): Buffer => {
    let key = hashKeys.get(purpose)
    if (key === undefined) {
      key = derive(master, `tokendesk:hash:${purpose}`)
      hashKeys.set(purpose, key)
    }
    return key
  }

  return {
    hash: (purpose, value) => createHmac('sha256', hashKey(purpose)).update(value).digest('hex'),

    encrypt(plaintext, aad) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
      cipher.setAAD(Buffer.from(aad))
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
      return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext])
    },

    decrypt(sealed, aad) {
      const box = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
      if (box.length < HEADER_BYTES || box[0] !== VERSION) throw decryptionFailed()
      const iv = box.subarray(1, 1 + IV_BYTES)
      const tag = box.subarray(1 + IV_BYTES, HEADER_BYTES)
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, iv)
      decipher.setAAD(Buffer.from(aad))
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(box.subarray(HEADER_BYTES)), decipher.final()])
      } catch {
        throw decryptionFailed()
      }
    },
  }
}

const MIN_KEY_BYTES = 32
const VERSION = 1
const IV_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES

const derive = (key: Buffer, info: string): Buffer =>
  Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32))

const decryptionFailed = () =>
  new Error('Decryption failed: the ciphertext or its associated data is not what was sealed.')

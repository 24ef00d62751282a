import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto'
import { DomainError, encodeBase32, type TokenImportItem } from '@tokendesk/core'
import { child, children, parseXml, path, type XmlElement, XmlError } from './xml.js'

/**
 * PSKC (RFC 6030) import of hardware tokens: plain seeds (§6.1 `PlainValue`), and seeds encrypted
 * (§6.1 `EncryptedValue`, AES-CBC with the IV prepended) under a pre-shared key (§6.1) or a key
 * derived from a password with PBKDF2 (§6.2). Encrypted seeds must carry a `ValueMAC` (HMAC-SHA1
 * under the MAC key of `MACMethod`, itself encrypted with the same key), and it is checked
 * before the seed is used. Only time-based keys (`…:pskc:totp`) are accepted: tokendesk's tokens
 * are TOTP. Errors name the key, never a secret.
 */
export interface PskcOptions {
  /** Hex of the pre-shared key (§6.1). */
  preSharedKey?: string | undefined
  /** The password of a PBKDF2-derived key (§6.2). */
  password?: string | undefined
  /**
   * How the caller can send a key the document needs, appended to the error that asks for it
   * (the raw XML form has nowhere to put one; key material never goes in a query string).
   */
  keyHint?: string
}

/** The media type of a PSKC document (RFC 6030 §12.1.1). */
export const PSKC_MEDIA_TYPE = 'application/pskc+xml'

const utf8 = new TextDecoder('utf-8', { fatal: true })

const TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:totp'
const PBKDF2 = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2'
const HMAC_SHA1 = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1'
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { name: 'aes-128-cbc', keyLength: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes192-cbc': { name: 'aes-192-cbc', keyLength: 24 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { name: 'aes-256-cbc', keyLength: 32 },
}
/** RFC 6030 names 30 s as the TOTP default when `TimeInterval` is absent. */
const DEFAULT_TIME_INTERVAL = 30

const invalid = (message: string) =>
  new DomainError('VALIDATION_FAILED', { message: `Invalid PSKC: ${message}` })

const base64 = (element: XmlElement | undefined, what: string): Buffer => {
  const text = element?.text.replace(/\s+/g, '') ?? ''
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw invalid(`${what} is not base64`)
  return Buffer.from(text, 'base64')
}

const encryptionKeyOf = (container: XmlElement, options: PskcOptions): Buffer | undefined => {
  const encryptionKey = child(container, 'EncryptionKey')
  if (!encryptionKey) return undefined
  const derived = child(encryptionKey, 'DerivedKey')
  if (derived) {
    const method = child(derived, 'KeyDerivationMethod')
    if (method?.attributes.Algorithm !== PBKDF2)
      throw invalid('only PBKDF2 key derivation is supported')
    const params = child(method, 'PBKDF2-params')
    const salt = base64(path(params, 'Salt', 'Specified'), 'the PBKDF2 salt')
    const iterations = Number(child(params, 'IterationCount')?.text.trim())
    const keyLength = Number(child(params, 'KeyLength')?.text.trim())
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) {
      throw invalid('PBKDF2 IterationCount must be a whole number from 1 to 10000000')
    }
    if (![16, 24, 32].includes(keyLength)) throw invalid('PBKDF2 KeyLength must be 16, 24 or 32')
    const prf = child(params, 'PRF')?.attributes.Algorithm
    if (prf !== undefined && prf !== HMAC_SHA1)
      throw invalid('only HMAC-SHA1 is supported as PBKDF2 PRF')
    if (options.password === undefined) {
      throw invalid(`the file is password-protected: send password${options.keyHint ?? ''}`)
    }
    return pbkdf2Sync(options.password, salt, iterations, keyLength, 'sha1')
  }
  // §6.1: a pre-shared key, named by ds:KeyName.
  if (options.preSharedKey === undefined) {
    throw invalid(
      `the file is encrypted with a pre-shared key: send preSharedKey (hex)${options.keyHint ?? ''}`,
    )
  }
  if (!/^([0-9a-fA-F]{2}){16,32}$/.test(options.preSharedKey)) {
    throw invalid('preSharedKey must be 16, 24 or 32 bytes in hex')
  }
  return Buffer.from(options.preSharedKey, 'hex')
}

/** `EncryptedValue`/`MACKey`: AES-CBC, IV prepended to the ciphertext (RFC 6030 §6.1). */
const decrypt = (
  encrypted: XmlElement,
  key: Buffer,
  what: string,
): { plain: Buffer; cipherValue: Buffer } => {
  const algorithm = child(encrypted, 'EncryptionMethod')?.attributes.Algorithm ?? ''
  const cipher = CIPHERS[algorithm]
  if (!cipher) throw invalid(`${what}: unsupported encryption algorithm`)
  if (key.length !== cipher.keyLength)
    throw invalid(`${what}: the key length does not fit ${cipher.name}`)
  const cipherValue = base64(path(encrypted, 'CipherData', 'CipherValue'), `${what} CipherValue`)
  if (cipherValue.length < 32 || cipherValue.length % 16 !== 0)
    throw invalid(`${what}: bad ciphertext length`)
  try {
    const decipher = createDecipheriv(cipher.name, key, cipherValue.subarray(0, 16))
    const plain = Buffer.concat([decipher.update(cipherValue.subarray(16)), decipher.final()])
    return { plain, cipherValue }
  } catch {
    throw invalid(`${what} cannot be decrypted: wrong key or password`)
  }
}

const macKeyOf = (container: XmlElement, key: Buffer): Buffer => {
  const method = child(container, 'MACMethod')
  if (!method) throw invalid('encrypted seeds need a MACMethod')
  if (method.attributes.Algorithm !== HMAC_SHA1) throw invalid('only HMAC-SHA1 MACs are supported')
  const macKey = child(method, 'MACKey')
  if (!macKey) throw invalid('MACMethod has no MACKey')
  return decrypt(macKey, key, 'the MAC key').plain
}

const secretOf = (
  keyElement: XmlElement,
  id: string,
  encryption: { key: Buffer; macKey: Buffer } | undefined,
): Buffer => {
  const secret = path(keyElement, 'Data', 'Secret')
  if (!secret) throw invalid(`key ${id} has no Secret`)
  const plain = child(secret, 'PlainValue')
  if (plain) return base64(plain, `key ${id} PlainValue`)
  const encrypted = child(secret, 'EncryptedValue')
  if (!encrypted) throw invalid(`key ${id}: Secret has neither PlainValue nor EncryptedValue`)
  if (!encryption) throw invalid(`key ${id} is encrypted but the file has no EncryptionKey`)
  const mac = child(secret, 'ValueMAC')
  if (!mac) throw invalid(`key ${id}: an encrypted Secret needs a ValueMAC`)
  const cipherValue = base64(path(encrypted, 'CipherData', 'CipherValue'), `key ${id} CipherValue`)
  const expected = createHmac('sha1', encryption.macKey).update(cipherValue).digest()
  const given = base64(mac, `key ${id} ValueMAC`)
  // The MAC is checked before anything is decrypted with the seed's key.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid(`key ${id}: the MAC check failed`)
  }
  return decrypt(encrypted, encryption.key, `key ${id} Secret`).plain
}

/** The text of a PSKC document sent as raw bytes: UTF-8 (a BOM is dropped), else 400. */
export const pskcText = (bytes: Uint8Array): string => {
  try {
    return utf8.decode(bytes)
  } catch {
    throw invalid('the document is not UTF-8')
  }
}

/** The tokens of a PSKC document, as the JSON import takes them (seeds in base32). */
export const readPskc = (xml: string, options: PskcOptions = {}): TokenImportItem[] => {
  let container: XmlElement
  try {
    container = parseXml(xml)
  } catch (error) {
    if (error instanceof XmlError) throw invalid(error.message)
    throw error
  }
  if (container.name !== 'KeyContainer') throw invalid('the root element must be KeyContainer')
  const key = encryptionKeyOf(container, options)
  const encryption = key && { key, macKey: macKeyOf(container, key) }
  const packages = children(container, 'KeyPackage')
  if (packages.length === 0) throw invalid('no KeyPackage')
  return packages.flatMap((keyPackage, index) => {
    const serialOfDevice = path(keyPackage, 'DeviceInfo', 'SerialNo')?.text.trim()
    return children(keyPackage, 'Key').map((keyElement) => {
      const id = keyElement.attributes.Id ?? `#${index + 1}`
      if (keyElement.attributes.Algorithm !== TOTP) {
        throw invalid(`key ${id}: only TOTP keys (${TOTP}) are supported`)
      }
      const format = path(keyElement, 'AlgorithmParameters', 'ResponseFormat')
      const digits = Number(format?.attributes.Length ?? 6)
      if (digits !== 6 && digits !== 8)
        throw invalid(`key ${id}: ResponseFormat Length must be 6 or 8`)
      if ((format?.attributes.Encoding ?? 'DECIMAL') !== 'DECIMAL') {
        throw invalid(`key ${id}: only DECIMAL responses are supported`)
      }
      const interval = path(keyElement, 'Data', 'TimeInterval', 'PlainValue')?.text.trim()
      const period = interval === undefined ? DEFAULT_TIME_INTERVAL : Number(interval)
      const seed = secretOf(keyElement, id, encryption)
      return {
        tokenSerialNumber: serialOfDevice || id,
        secret: encodeBase32(new Uint8Array(seed)),
        digits: digits as 6 | 8,
        period,
      }
    })
  })
}

import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import type { KeyFile } from './types.js'

const FIELDS = ['customerName', 'accessID', 'accessKey', 'adminRestApiUrl'] as const

/**
 * Checks a parsed key file: the five fields of admin-api.md §2, strings except `description`,
 * which may also be `null` (a key created without one), and a readable RSA private key. Throws a
 * `TypeError` naming what is wrong, never the key.
 *
 * @example
 * ```ts
 * const keyFile = parseKeyFile(JSON.parse(process.env.TOKENDESK_KEY_JSON ?? '{}'))
 * ```
 */
export const parseKeyFile = (value: unknown): KeyFile => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('key file: expected a JSON object')
  }
  const record = value as Record<string, unknown>
  for (const field of FIELDS) {
    if (typeof record[field] !== 'string') throw new TypeError(`key file: ${field} is missing`)
  }
  if (typeof record.description !== 'string' && record.description !== null) {
    throw new TypeError('key file: description is missing')
  }
  const file = record as unknown as KeyFile
  if (file.accessID === '' || file.accessKey === '') {
    throw new TypeError('key file: accessID and accessKey must not be empty')
  }
  try {
    new URL(file.adminRestApiUrl)
  } catch {
    throw new TypeError('key file: adminRestApiUrl is not a URL')
  }
  return {
    customerName: file.customerName,
    accessID: file.accessID,
    description: file.description,
    accessKey: file.accessKey,
    adminRestApiUrl: file.adminRestApiUrl,
  }
}

/**
 * Reads and checks a key file from disk (Node only).
 *
 * @example
 * ```ts
 * const keyFile = await readKeyFile('./139f6495-e447-4a26-a765-5c01b6b152d5.key')
 * console.log(keyFile.customerName)
 * ```
 */
export const readKeyFile = async (path: string): Promise<KeyFile> => {
  const { readFile } = await import('node:fs/promises')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new TypeError(`key file: cannot read ${path} (${code})`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new TypeError(`key file: ${path} is not JSON`)
  }
  return parseKeyFile(parsed)
}

const base64url = (input: string | Buffer): string => Buffer.from(input).toString('base64url')

/**
 * Signs short-lived RS256 JWTs (admin-api.md §3: `sub` = accessID, `aud` = adminRestApiUrl,
 * numeric `iat`/`exp`) and reuses one until `refreshBeforeSeconds` before it expires, so that a
 * busy client signs once every few minutes and a token never expires in flight.
 */
export class JwtSigner {
  readonly #keyFile: KeyFile
  readonly #key: KeyObject
  readonly #lifetime: number
  readonly #refreshBefore: number
  readonly #now: () => number
  #cached: { token: string; exp: number } | undefined

  constructor(
    keyFile: KeyFile,
    options: { lifetimeSeconds: number; refreshBeforeSeconds: number; now: () => number },
  ) {
    this.#keyFile = keyFile
    try {
      this.#key = createPrivateKey(keyFile.accessKey)
    } catch {
      throw new TypeError('key file: accessKey is not a PEM private key')
    }
    if (this.#key.asymmetricKeyType !== 'rsa') {
      throw new TypeError('key file: accessKey is not an RSA private key')
    }
    this.#lifetime = options.lifetimeSeconds
    this.#refreshBefore = options.refreshBeforeSeconds
    this.#now = options.now
  }

  /** A JWT valid for at least `refreshBeforeSeconds` more. */
  token(): string {
    const now = Math.floor(this.#now() / 1000)
    if (this.#cached && this.#cached.exp - this.#refreshBefore > now) return this.#cached.token
    const exp = now + this.#lifetime
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }))
    const payload = base64url(
      JSON.stringify({
        sub: this.#keyFile.accessID,
        aud: this.#keyFile.adminRestApiUrl,
        iat: now,
        exp,
      }),
    )
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), this.#key)
    const token = `${header}.${payload}.${base64url(signature)}`
    this.#cached = { token, exp }
    return token
  }

  /** Forgets the cached token (after the server refused it). */
  reset(): void {
    this.#cached = undefined
  }
}

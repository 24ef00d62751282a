import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, secretKeyBytes } from './config/load.js'
import type { Config } from './config/schema.js'

/** `sqlite:<path>` → the path (`:memory:` stays as it is). */
export const sqlitePathOf = (databaseUrl: string): string | undefined =>
  databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined

/** The folder that holds a SQLite database, where `secret.key` and `keys/` live beside it. */
export const dataDirOf = (config: Config): string | undefined => {
  const path = sqlitePathOf(config.databaseUrl)
  return path && path !== ':memory:' ? dirname(path) : undefined
}

const decode = (base64: string, source: string): Buffer => {
  const key = secretKeyBytes(base64)
  if (key.length < 32) throw new ConfigError([`${source}: must be base64 of at least 32 bytes`])
  return key
}

/** The secret in `file`, or `undefined` when there is no such file. */
const readSecretFile = (file: string): Buffer | undefined => {
  try {
    return decode(readFileSync(file, 'utf8'), file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

const generateSecretFile = (file: string): Buffer => {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
    return key
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return decode(readFileSync(file, 'utf8'), file)
    }
    throw error
  }
}

/**
 * The server secret (code hashes, seed encryption):
 * - `TOKENDESK_SECRET_KEY` when set; PostgreSQL deployments must set it, so that every node
 *   shares it;
 * - else, for SQLite, `secret.key` beside the database, generated (mode 0600) only while the
 *   database holds no company (`holdsData` says whether it does). For a database that holds
 *   data, a new secret would silently break every agent key and issued code and make every token
 *   seed undecryptable, so a missing file is refused, naming the file to restore.
 */
export const resolveSecretKey = async (
  config: Config,
  holdsData: () => Promise<boolean>,
): Promise<Buffer> => {
  if (config.secretKey) return decode(config.secretKey, 'TOKENDESK_SECRET_KEY (secretKey)')
  const path = sqlitePathOf(config.databaseUrl)
  if (path === undefined) {
    throw new ConfigError([
      'TOKENDESK_SECRET_KEY (secretKey): required with PostgreSQL (every node must share it)',
    ])
  }
  if (path === ':memory:') return randomBytes(32)
  const file = resolve(dirname(path), 'secret.key')
  const existing = readSecretFile(file)
  if (existing !== undefined) return existing
  if (await holdsData()) {
    throw new ConfigError([
      `TOKENDESK_SECRET_KEY (secretKey): not set, and ${file} is missing although the database ` +
        `holds data: restore ${file} from a backup, or set TOKENDESK_SECRET_KEY to the secret ` +
        'it held (a new secret would make the stored agent keys, codes and token seeds unusable)',
    ])
  }
  return generateSecretFile(file)
}

import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ConfigError } from './config/load.js'
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
  const key = Buffer.from(base64.trim(), 'base64')
  if (key.length < 32) throw new ConfigError([`${source}: must be base64 of at least 32 bytes`])
  return key
}

/**
 * The server secret (code hashes, seed encryption): `TOKENDESK_SECRET_KEY`, else for SQLite a
 * `secret.key` beside the database, generated on first start (mode 0600). PostgreSQL deployments
 * must set it, so that every node shares it.
 */
export const resolveSecretKey = (config: Config): Buffer => {
  if (config.secretKey) return decode(config.secretKey, 'TOKENDESK_SECRET_KEY')
  const path = sqlitePathOf(config.databaseUrl)
  if (path === undefined) {
    throw new ConfigError(['TOKENDESK_SECRET_KEY: required with PostgreSQL (all nodes share it)'])
  }
  if (path === ':memory:') return randomBytes(32)
  const file = join(dirname(path), 'secret.key')
  try {
    return decode(readFileSync(file, 'utf8'), file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
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

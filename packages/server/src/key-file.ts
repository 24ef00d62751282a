import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ApiKeyFile } from '@tokendesk/core'

/**
 * Writes a key file readable by its owner only (mode 0600). Never overwrites: a key file is the
 * only copy of a private key.
 */
export const writeKeyFile = (path: string, file: ApiKeyFile | Record<string, unknown>): void => {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
}

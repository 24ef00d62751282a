import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built binary: `npm test` runs `tsc -b` first, so this is what `npx tokendesk` runs. */
export const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url))

/** The file npm links as `node_modules/.bin/tokendesk`; it runs {@link BIN}. */
export const LAUNCHER = fileURLToPath(new URL('../bin/tokendesk.js', import.meta.url))

export const assertBuilt = (): void => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npm test runs tsc -b)`)
}

export interface Sandbox {
  dir: string
  /** `<dir>/db/tokendesk.db` */
  databaseUrl: string
  env: NodeJS.ProcessEnv
}

const sandboxes: string[] = []

/**
 * A fresh directory and an environment with no TOKENDESK_* variable but the database. Test
 * files remove them with `afterAll(removeSandboxes)` (per-test hooks do not follow concurrent
 * tests).
 */
export const sandbox = (extraEnv: Record<string, string> = {}): Sandbox => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-cli-'))
  sandboxes.push(dir)
  const databaseUrl = `sqlite:${join(dir, 'db', 'tokendesk.db')}`
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TOKENDESK_')) env[name] = value
  }
  Object.assign(env, { TOKENDESK_DATABASE_URL: databaseUrl }, extraEnv)
  return { dir, databaseUrl, env }
}

export const removeSandboxes = (): void => {
  for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `tokendesk …` (the built binary, or `script`) to completion, bounded, in the sandbox. */
export const tokendesk = (box: Sandbox, args: readonly string[], script = BIN): Promise<Result> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: box.dir, env: box.env, timeout: 20_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A port free right now: the kernel picks it for a throwaway listener. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      )
    })
  })

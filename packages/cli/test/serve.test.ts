import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  assertBuilt,
  BIN,
  freePort,
  removeSandboxes,
  type Sandbox,
  sandbox,
  UUID,
} from './helpers.js'

const execFileAsync = promisify(execFile)

beforeAll(assertBuilt)
afterAll(removeSandboxes)

interface Server {
  child: ChildProcess
  port: number
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string
  exited: Promise<number | null>
}

const startServe = async (box: Sandbox): Promise<Server> => {
  const port = await freePort()
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    cwd: box.dir,
    env: box.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const server = { child, port, output: () => output, exited }
  await waitForLive(server)
  return server
}

/** Polls GET /health/live until 200 (bounded); fails at once if the process dies. */
const waitForLive = async (server: Server): Promise<void> => {
  const deadline = Date.now() + 20_000
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) {
      throw new Error(`serve exited with ${server.child.exitCode}: ${server.output()}`)
    }
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/health/live`)
      if (response.status === 200) return
      last = `status ${response.status}`
    } catch (error) {
      last = (error as Error).message
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`/health/live did not answer 200 (${last}): ${server.output()}`)
}

/** SIGTERM, then the exit status, which must come within 5 s. */
const stop = async (server: Server): Promise<number | null> => {
  server.child.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 5000)
  })
  const code = await Promise.race([server.exited, timeout])
  clearTimeout(timer)
  if (code === 'timeout') throw new Error(`serve did not exit within 5 s: ${server.output()}`)
  return code
}

describe('serve', () => {
  it('first start creates one SUPER_ADMIN key file, logs its path, stops on SIGTERM', async () => {
    const box = sandbox({ TOKENDESK_DATABASE_URL: 'sqlite:./db/tokendesk.db' })
    const keys = join(box.dir, 'db', 'keys')

    const first = await startServe(box)
    const files = readdirSync(keys)
    expect(files).toHaveLength(1)
    const accessId = files[0]?.replace(/\.key$/, '') ?? ''
    expect(accessId).toMatch(UUID)
    const keyFile = join(keys, `${accessId}.key`)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    // Logged once, as an absolute path (the database URL here is relative to the cwd).
    expect(first.output()).toContain(`"keyFile":"${join(realpathSync(keys), `${accessId}.key`)}"`)
    expect(first.output().split(`${accessId}.key`)).toHaveLength(2)
    expect(first.output()).toContain(`"url":"http://127.0.0.1:${first.port}"`)
    expect(first.output()).not.toContain('PRIVATE KEY')
    expect(await stop(first)).toBe(0)
    expect(first.output()).not.toContain('PRIVATE KEY')
    // Logs are pino JSON lines; nothing is printed beside them.
    for (const line of first.output().trimEnd().split('\n'))
      expect(() => JSON.parse(line)).not.toThrow()

    const second = await startServe(box)
    expect(readdirSync(keys)).toEqual(files)
    expect(second.output()).not.toContain('.key')
    expect(await stop(second)).toBe(0)
  })

  it('fails with exit 1 and one line when the port is taken', async () => {
    const box = sandbox()
    const running = await startServe(box)
    const clash = spawn(process.execPath, [BIN, 'serve', '--port', String(running.port)], {
      cwd: box.dir,
      env: box.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    clash.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const code = await new Promise<number | null>((resolve) => clash.once('exit', resolve))
    expect(code).toBe(1)
    expect(stderr).toMatch(/^tokendesk: .*EADDRINUSE.*\n$/)
    expect(await stop(running)).toBe(0)
  })
})

describe('the README walk-through', () => {
  it('enables an emergency tokencode with only the first-start key file', async () => {
    const box = sandbox({ TOKENDESK_DATABASE_URL: 'sqlite:./data/tokendesk.db' })
    const server = await startServe(box)
    const [keyName] = readdirSync(join(box.dir, 'data', 'keys'))
    const keyFile = join(box.dir, 'data', 'keys', keyName ?? '')
    const script = fileURLToPath(
      new URL('../../../examples/enable-emergency-code.mjs', import.meta.url),
    )
    const { stdout } = await execFileAsync(
      process.execPath,
      [script, keyFile, 'jane.doe@example.com'],
      {
        cwd: box.dir,
        env: box.env,
        timeout: 20_000,
      },
    )
    const result = JSON.parse(stdout) as Record<string, string>
    expect(result.email).toBe('jane.doe@example.com')
    expect(result.userId).toMatch(UUID)
    expect(result.emergencyTokencodeId).toMatch(UUID)
    expect(result.emergencyTokencode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/)
    const days = (Date.parse(result.expirationDate ?? '') - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(1.99)
    expect(days).toBeLessThanOrEqual(2)
    // The code was shown once, in the response: the server's log never carries it.
    expect(server.output()).not.toContain(result.emergencyTokencode)
    expect(await stop(server)).toBe(0)
  })
})

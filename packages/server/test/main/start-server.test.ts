import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { get } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/load.js'
import { startServer } from '../../src/main.js'

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** A temporary data folder and the configuration of a server on a free port over it. */
const setup = (env: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-main-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const config = loadConfig({
    env: {
      TOKENDESK_DATABASE_URL: `sqlite:${join(dir, 'tokendesk.db')}`,
      TOKENDESK_PORT: '0',
      ...env,
    },
  })
  return { dir, config }
}

/** A pino logger whose JSON lines are kept in memory. */
const memoryLogger = () => {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) })
  return { logger, lines }
}

describe('startServer', () => {
  it('listens on the port bound for port 0, creates the first key once, closes', async () => {
    const { dir, config } = setup()
    const { logger, lines } = memoryLogger()
    const server = await startServer(config, { logger })
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200)

    const keyFiles = readdirSync(join(dir, 'keys'))
    expect(keyFiles).toHaveLength(1)
    const keyFile = join(dir, 'keys', keyFiles[0] ?? '')
    const { accessID } = JSON.parse(readFileSync(keyFile, 'utf8')) as { accessID: string }
    const created = lines.filter((line) => line.includes(accessID)).map((l) => JSON.parse(l))
    expect(created).toEqual([expect.objectContaining({ level: 30, keyFile, accessId: accessID })])
    expect(lines.join('')).not.toContain('PRIVATE KEY')

    const closing = server.close()
    expect(server.close()).toBe(closing)
    await closing
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow()

    const { logger: again, lines: secondLines } = memoryLogger()
    const second = await startServer(config, { logger: again })
    await second.close()
    expect(readdirSync(join(dir, 'keys'))).toEqual(keyFiles)
    expect(secondLines.join('')).not.toContain('keyFile')
  })

  it('serves HTTPS with the configured certificate and key', async () => {
    const cert = readFileSync(fixture('tls-test.crt'))
    const { config } = setup({
      TOKENDESK_TLS_CERT: fixture('tls-test.crt'),
      TOKENDESK_TLS_KEY: fixture('tls-test.key'),
    })
    const server = await startServer(config)
    onTestFinished(() => server.close())
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`)
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${server.url}/health/live`, { ca: cert }, (response) => {
        response.resume()
        resolve(response.statusCode)
      }).on('error', reject)
    })
    expect(status).toBe(200)
  })

  it('names both unreadable TLS files before opening the database', async () => {
    const missing = join(tmpdir(), 'tokendesk-missing')
    const env = {
      TOKENDESK_TLS_CERT: join(missing, 'cert.pem'),
      TOKENDESK_TLS_KEY: join(missing, 'key.pem'),
    }
    const expected = [
      expect.stringMatching(/^TOKENDESK_TLS_CERT \(tlsCert\): cannot read .*cert\.pem \(ENOENT\)$/),
      expect.stringMatching(/^TOKENDESK_TLS_KEY \(tlsKey\): cannot read .*key\.pem \(ENOENT\)$/),
    ]
    // Loading the configuration reports them, with any other problem.
    const loading = (() => {
      try {
        return setup(env)
      } catch (error) {
        return error
      }
    })()
    expect(loading).toBeInstanceOf(ConfigError)
    expect((loading as ConfigError).problems).toEqual(expected)
    // Files that went away after loading are still a configuration error, not a crash.
    const { dir, config } = setup()
    const failure = await startServer({
      ...config,
      tlsCert: env.TOKENDESK_TLS_CERT,
      tlsKey: env.TOKENDESK_TLS_KEY,
    }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ConfigError)
    expect((failure as ConfigError).problems).toEqual(expected)
    expect(existsSync(join(dir, 'tokendesk.db'))).toBe(false)
  })

  // Linux: the process's open descriptors show whether the failed start closed its database.
  it.runIf(existsSync('/proc/self/fd'))('closes the database when it cannot listen', async () => {
    const first = await startServer(setup().config)
    onTestFinished(() => first.close())
    const { dir, config } = setup({ TOKENDESK_PORT: String(first.port) })
    const openInDir = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)
        } catch {
          return false // the descriptor of the listing itself, closed meanwhile
        }
      })
    await expect(startServer(config)).rejects.toThrow(/EADDRINUSE/)
    expect(existsSync(join(dir, 'tokendesk.db'))).toBe(true)
    expect(openInDir()).toEqual([])
  })
})

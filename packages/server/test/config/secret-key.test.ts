import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/load.js'
import { createRuntime } from '../../src/runtime.js'

/**
 * The SQLite server secret (`secret.key` beside the database) is generated only for a database
 * that holds no company: for one that holds data, a new secret would make every agent key and
 * issued code stop matching and every token seed undecryptable.
 */
const setup = (env: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-secret-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const config = loadConfig({
    env: { TOKENDESK_DATABASE_URL: `sqlite:${join(dir, 'tokendesk.db')}`, ...env },
  })
  return { dir, config, secretFile: join(dir, 'secret.key') }
}

const failureOf = async (work: Promise<unknown>): Promise<ConfigError> => {
  const failure = await work.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(failure).toBeInstanceOf(ConfigError)
  return failure as ConfigError
}

describe('the SQLite secret file', () => {
  it('is generated (mode 0600) for a new database, then read back', async () => {
    const { config, secretFile } = setup()
    const first = await createRuntime(config)
    await first.close()
    expect(statSync(secretFile).mode & 0o777).toBe(0o600)
    const secret = readFileSync(secretFile, 'utf8')
    const second = await createRuntime(config)
    await second.close()
    expect(readFileSync(secretFile, 'utf8')).toBe(secret)
  })

  it('is generated for a database that holds no company yet (migrated, e.g. by tokendesk migrate)', async () => {
    const { config, secretFile } = setup()
    await (await createRuntime(config)).close()
    rmSync(secretFile)
    const runtime = await createRuntime(config)
    await runtime.close()
    expect(existsSync(secretFile)).toBe(true)
  })

  it('missing beside a database that holds data: refuses to start, naming the file to restore', async () => {
    const { config, secretFile } = setup()
    const runtime = await createRuntime(config)
    await runtime.services.companies.create('Acme')
    await runtime.close()
    renameSync(secretFile, `${secretFile}.bak`)

    const failure = await failureOf(createRuntime(config))
    expect(failure.problems).toHaveLength(1)
    expect(failure.problems[0]).toMatch(/^TOKENDESK_SECRET_KEY \(secretKey\): /)
    expect(failure.problems[0]).toContain(`restore ${secretFile}`)
    expect(failure.problems[0]).toContain('set TOKENDESK_SECRET_KEY')
    expect(existsSync(secretFile)).toBe(false)

    // Restored: the data is readable again with the secret it was written under.
    renameSync(`${secretFile}.bak`, secretFile)
    const restored = await createRuntime(config)
    expect((await restored.services.companies.findByName('Acme'))?.name).toBe('Acme')
    await restored.close()
  })

  it('is not needed when TOKENDESK_SECRET_KEY is set, and is then not created', async () => {
    const secret = Buffer.alloc(32, 9).toString('base64')
    const { config, secretFile } = setup({ TOKENDESK_SECRET_KEY: secret })
    const runtime = await createRuntime(config)
    await runtime.services.companies.create('Acme')
    await runtime.close()
    await (await createRuntime(config)).close()
    expect(existsSync(secretFile)).toBe(false)
  })
})

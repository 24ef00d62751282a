import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  adminRestApiUrlOf,
  ConfigError,
  loadConfig,
  publicUrlOf,
  smsDeliveryOf,
} from '../../src/config/load.js'

const TLS_CERT = fileURLToPath(new URL('../main/fixtures/tls-test.crt', import.meta.url))
const TLS_KEY = fileURLToPath(new URL('../main/fixtures/tls-test.key', import.meta.url))
const SECRET_KEY = Buffer.alloc(32, 7).toString('base64')
const WEBHOOK = {
  TOKENDESK_SMS_WEBHOOK_URL: 'https://sms.example.com/hook',
  TOKENDESK_SMS_WEBHOOK_SECRET: 'webhook-secret-of-at-least-32-characters',
}
const MISSING = join(tmpdir(), 'tokendesk-no-such-dir')

const configFile = (content: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-config-'))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'tokendesk.json')
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** The problems of a configuration that must not load. */
const problemsOf = (load: () => unknown): readonly string[] => {
  try {
    load()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('the configuration loaded')
}

describe('loadConfig', () => {
  it('gives every default of operations.md when nothing is set', () => {
    const config = loadConfig({ env: {} })
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: 'sqlite:./data/tokendesk.db',
      databasePoolSize: 10,
      databaseStatementTimeoutMs: 5000,
      databaseConnectTimeoutMs: 5000,
      redisKeyPrefix: 'tokendesk:',
      shutdownDelayMs: 0,
      logLevel: 'info',
      authAudience: 'lenient',
      maxActiveApiKeys: 10,
      authFailuresPerMinute: 10,
      auditAdminRetentionDays: 90,
      auditUserRetentionDays: 40,
    })
    expect(publicUrlOf(config)).toBe('http://127.0.0.1:8080')
    expect(adminRestApiUrlOf(config)).toBe('http://127.0.0.1:8080/AdminInterface/restapi/')
  })

  it('reads the TOKENDESK_* variables, integers as numbers', () => {
    const config = loadConfig({
      env: {
        TOKENDESK_HOST: '0.0.0.0',
        TOKENDESK_PORT: ' 9090 ',
        TOKENDESK_PUBLIC_URL: 'https://mfa.example.com/',
        TOKENDESK_DATABASE_URL: 'postgres://tokendesk@localhost/tokendesk',
        TOKENDESK_SECRET_KEY: SECRET_KEY,
        TOKENDESK_REDIS_URL: 'redis://127.0.0.1:6379',
        TOKENDESK_LOG_LEVEL: 'debug',
        TOKENDESK_AUTH_AUDIENCE: 'strict',
        TOKENDESK_MAX_ACTIVE_API_KEYS: '3',
        TOKENDESK_UNRELATED: 'ignored',
      },
    })
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9090,
      publicUrl: 'https://mfa.example.com/',
      databaseUrl: 'postgres://tokendesk@localhost/tokendesk',
      redisUrl: 'redis://127.0.0.1:6379',
      logLevel: 'debug',
      authAudience: 'strict',
      maxActiveApiKeys: 3,
    })
    expect(publicUrlOf(config)).toBe('https://mfa.example.com')
    expect(adminRestApiUrlOf(config)).toBe('https://mfa.example.com/AdminInterface/restapi/')
  })

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ env: { TOKENDESK_PORT: '', TOKENDESK_HOST: '' } })).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
    })
  })

  it('layers defaults, then the file, then the environment, then overrides', () => {
    const file = configFile({ host: '10.0.0.1', port: 7000, logLevel: 'warn', maxActiveApiKeys: 5 })
    const config = loadConfig({
      file,
      env: { TOKENDESK_PORT: '7001', TOKENDESK_LOG_LEVEL: 'error' },
      overrides: { port: 7002 },
    })
    expect(config).toMatchObject({
      host: '10.0.0.1', // file
      maxActiveApiKeys: 5, // file
      logLevel: 'error', // env over file
      port: 7002, // override over env
      databaseUrl: 'sqlite:./data/tokendesk.db', // default
    })
  })

  it('reports every problem together, naming each variable', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          TOKENDESK_PORT: 'abc',
          TOKENDESK_LOG_LEVEL: 'loud',
          TOKENDESK_DATABASE_URL: 'mysql://x',
          TOKENDESK_SECRET_KEY: 'short',
        },
      }),
    )
    for (const name of [
      'TOKENDESK_PORT',
      'TOKENDESK_LOG_LEVEL',
      'TOKENDESK_DATABASE_URL',
      'TOKENDESK_SECRET_KEY',
    ]) {
      expect(
        problems.some((p) => p.startsWith(name)),
        `${name} in ${problems.join('; ')}`,
      ).toBe(true)
    }
    expect(problems.some((p) => p.startsWith('TOKENDESK_HOST'))).toBe(false)
  })

  it('rejects out-of-range integers and unknown keys in the file', () => {
    const problems = problemsOf(() =>
      loadConfig({ file: configFile({ port: 70000, colour: 'blue' }), env: {} }),
    )
    expect(problems.some((p) => p.startsWith('TOKENDESK_PORT'))).toBe(true)
    expect(problems.some((p) => p.includes('colour'))).toBe(true)
  })

  it('reports a file that is not a JSON object, and a file that cannot be read', () => {
    const notJson = configFile('{ port: 1')
    expect(problemsOf(() => loadConfig({ file: notJson, env: {} }))[0]).toContain(notJson)
    const array = configFile([1, 2])
    expect(problemsOf(() => loadConfig({ file: array, env: {} }))).toEqual([
      `${array}: must hold a JSON object`,
    ])
    const missing = join(tmpdir(), 'tokendesk-no-such-dir', 'tokendesk.json')
    expect(problemsOf(() => loadConfig({ file: missing, env: {} }))[0]).toContain(missing)
  })

  it('requires a TLS key with a TLS certificate, and the other way round', () => {
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_TLS_CERT: TLS_CERT } }))).toEqual([
      'TOKENDESK_TLS_KEY (tlsKey): required when TOKENDESK_TLS_CERT is set',
    ])
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_TLS_KEY: TLS_KEY } }))).toEqual([
      'TOKENDESK_TLS_CERT (tlsCert): required when TOKENDESK_TLS_KEY is set',
    ])
    const config = loadConfig({ env: { TOKENDESK_TLS_CERT: TLS_CERT, TOKENDESK_TLS_KEY: TLS_KEY } })
    expect(publicUrlOf(config)).toBe('https://127.0.0.1:8080')
  })

  it('names each TLS file it cannot read, with the other problems', () => {
    expect(
      problemsOf(() =>
        loadConfig({
          env: {
            TOKENDESK_TLS_CERT: join(MISSING, 'cert.pem'),
            TOKENDESK_TLS_KEY: tmpdir(),
            TOKENDESK_PORT: 'abc',
          },
        }),
      ),
    ).toEqual([
      'TOKENDESK_PORT (port): Expected integer',
      `TOKENDESK_TLS_CERT (tlsCert): cannot read ${join(MISSING, 'cert.pem')} (ENOENT)`,
      `TOKENDESK_TLS_KEY (tlsKey): cannot read ${tmpdir()} (EISDIR)`,
    ])
  })

  it('lists the choices of a setting that takes one word', () => {
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_LOG_LEVEL: 'loud' } }))).toEqual([
      'TOKENDESK_LOG_LEVEL (logLevel): must be one of fatal, error, warn, info, debug, trace, silent',
    ])
  })
  it('brackets an IPv6 host in the derived public URL', () => {
    expect(publicUrlOf(loadConfig({ env: { TOKENDESK_HOST: '::1', TOKENDESK_PORT: '0' } }))).toBe(
      'http://[::1]:0',
    )
  })
})

describe('TOKENDESK_SMS_DELIVERY', () => {
  it('unset: the webhook when its URL is set, else the file (deployments before it keep working)', () => {
    expect(smsDeliveryOf(loadConfig({ env: {} }))).toBe('file')
    const config = loadConfig({ env: WEBHOOK })
    expect(config.smsDelivery).toBeUndefined()
    expect(smsDeliveryOf(config)).toBe('webhook')
    expect(
      problemsOf(() =>
        loadConfig({ env: { TOKENDESK_SMS_WEBHOOK_URL: WEBHOOK.TOKENDESK_SMS_WEBHOOK_URL } }),
      ),
    ).toEqual([
      'TOKENDESK_SMS_WEBHOOK_SECRET (smsWebhookSecret): required when TOKENDESK_SMS_WEBHOOK_URL is set',
    ])
  })

  it('file or webhook, from the environment or the file key smsDelivery', () => {
    expect(smsDeliveryOf(loadConfig({ env: { TOKENDESK_SMS_DELIVERY: 'file' } }))).toBe('file')
    const webhook = loadConfig({ env: { ...WEBHOOK, TOKENDESK_SMS_DELIVERY: 'webhook' } })
    expect(webhook.smsDelivery).toBe('webhook')
    expect(smsDeliveryOf(webhook)).toBe('webhook')
    const file = configFile({ smsDelivery: 'file' })
    expect(loadConfig({ file, env: {} }).smsDelivery).toBe('file')
  })

  it('webhook needs the URL and the secret', () => {
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_SMS_DELIVERY: 'webhook' } }))).toEqual([
      'TOKENDESK_SMS_WEBHOOK_URL (smsWebhookUrl): required when TOKENDESK_SMS_DELIVERY is webhook',
      'TOKENDESK_SMS_WEBHOOK_SECRET (smsWebhookSecret): required when TOKENDESK_SMS_DELIVERY is webhook',
    ])
  })

  it('file with a webhook URL is a contradiction that names both variables', () => {
    const [problem, ...others] = problemsOf(() =>
      loadConfig({ env: { ...WEBHOOK, TOKENDESK_SMS_DELIVERY: 'file' } }),
    )
    expect(others).toEqual([])
    expect(problem).toMatch(/^TOKENDESK_SMS_DELIVERY \(smsDelivery\): .*TOKENDESK_SMS_WEBHOOK_URL/)
  })

  it('refuses any other value', () => {
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_SMS_DELIVERY: 'sms' } }))).toEqual([
      'TOKENDESK_SMS_DELIVERY (smsDelivery): must be one of file, webhook',
    ])
    const file = configFile({ smsDelivery: 'WEBHOOK' })
    expect(problemsOf(() => loadConfig({ file, env: {} }))).toEqual([
      'TOKENDESK_SMS_DELIVERY (smsDelivery): must be one of file, webhook',
    ])
  })
})

describe('problems found past the schema, reported with it', () => {
  it('requires TOKENDESK_SECRET_KEY with PostgreSQL, unless the command needs no secret', () => {
    const env = { TOKENDESK_DATABASE_URL: 'postgres://tokendesk@db.internal/tokendesk' }
    expect(problemsOf(() => loadConfig({ env }))).toEqual([
      'TOKENDESK_SECRET_KEY (secretKey): required with PostgreSQL (every node must share it)',
    ])
    expect(loadConfig({ env, needsSecretKey: false }).secretKey).toBeUndefined()
    expect(loadConfig({ env: { ...env, TOKENDESK_SECRET_KEY: SECRET_KEY } }).secretKey).toBe(
      SECRET_KEY,
    )
    // SQLite keeps its secret beside the database.
    expect(loadConfig({ env: {} }).secretKey).toBeUndefined()
  })

  it('refuses a secret that is not base64 of 32 bytes', () => {
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_SECRET_KEY: '!'.repeat(44) } }))).toEqual(
      ['TOKENDESK_SECRET_KEY (secretKey): must be base64 of at least 32 bytes'],
    )
  })

  it('names TOKENDESK_DATABASE_URL for an invalid ?schema= name', () => {
    const url = (schema: string) =>
      `postgres://tokendesk:pw@db.internal/tokendesk?sslmode=disable&schema=${schema}`
    const env = (schema: string) => ({
      TOKENDESK_DATABASE_URL: url(schema),
      TOKENDESK_SECRET_KEY: SECRET_KEY,
    })
    expect(problemsOf(() => loadConfig({ env: env('Tenant-1') }))).toEqual([
      'TOKENDESK_DATABASE_URL (databaseUrl): ?schema="Tenant-1" is not a valid schema name ' +
        '(a lowercase letter or _, then up to 62 lowercase letters, digits or _)',
    ])
    expect(loadConfig({ env: env('tenant_1') }).databaseUrl).toBe(url('tenant_1'))
  })

  it('reports them all in one run, with the schema errors', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          TOKENDESK_PORT: 'abc',
          TOKENDESK_DATABASE_URL: 'postgres://tokendesk:hunter2@db.internal/x?schema=Bad',
          TOKENDESK_TLS_CERT: join(MISSING, 'cert.pem'),
          TOKENDESK_TLS_KEY: join(MISSING, 'key.pem'),
          TOKENDESK_SMS_DELIVERY: 'webhook',
        },
      }),
    )
    expect(problems.map((p) => p.slice(0, p.indexOf(' ')))).toEqual([
      'TOKENDESK_PORT',
      'TOKENDESK_TLS_CERT',
      'TOKENDESK_TLS_KEY',
      'TOKENDESK_SMS_WEBHOOK_URL',
      'TOKENDESK_SMS_WEBHOOK_SECRET',
      'TOKENDESK_SECRET_KEY',
      'TOKENDESK_DATABASE_URL',
    ])
    expect(problems.join('\n')).not.toContain('hunter2')
  })
})

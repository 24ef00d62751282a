import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { adminRestApiUrlOf, ConfigError, loadConfig, publicUrlOf } from '../../src/config/load.js'

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
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_TLS_CERT: '/etc/cert.pem' } }))).toEqual([
      'TOKENDESK_TLS_KEY: required when TOKENDESK_TLS_CERT is set',
    ])
    expect(problemsOf(() => loadConfig({ env: { TOKENDESK_TLS_KEY: '/etc/key.pem' } }))).toEqual([
      'TOKENDESK_TLS_CERT: required when TOKENDESK_TLS_KEY is set',
    ])
    const config = loadConfig({
      env: { TOKENDESK_TLS_CERT: '/etc/cert.pem', TOKENDESK_TLS_KEY: '/etc/key.pem' },
    })
    expect(publicUrlOf(config)).toBe('https://127.0.0.1:8080')
  })

  it('brackets an IPv6 host in the derived public URL', () => {
    expect(publicUrlOf(loadConfig({ env: { TOKENDESK_HOST: '::1', TOKENDESK_PORT: '0' } }))).toBe(
      'http://[::1]:0',
    )
  })
})

import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeBase32 } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MFA, mfa, registerTotp, totpNow } from '../authn/authn-helpers.js'
import { ADMIN, createTestApp, signJwt, type TestApp } from '../helpers.js'
import {
  assertCliBuilt,
  type CliResult,
  cli,
  freshSchema,
  TEST_DATABASE_URL,
  type TestSchema,
} from '../scale-out/cluster.js'

/**
 * Secret hygiene (admin-api.md §2, §6; docs/api.md "Emergency tokencodes"; docs/authn.md "Agent
 * keys"): an emergency code, a private key, an Authenticate OTP seed and an agent key made by the
 * API are in the response that created them and nowhere else; an agent key made by the CLI is in
 * its key file only; token seeds (base32 as imported, hex, raw bytes) and request tokens (JWTs)
 * are in no response, log line, audit event or stored byte. The stored bytes are the SQLite files
 * (main file, WAL, shared memory) or, on PostgreSQL, the text of every row of every table of the
 * schema.
 */

interface Backend {
  label: string
  /** The app over this backend with `logger`, and the environment of the CLI on its database. */
  open(logger: pino.Logger): Promise<{ t: TestApp; cliEnv: NodeJS.ProcessEnv }>
  /** Everything stored, as text to grep (latin1 for raw bytes), and the raw bytes if any. */
  stored(t: TestApp): Promise<{ text: string; bytes?: Buffer }>
}

/** The CLI's environment: no inherited TOKENDESK_* variable but `vars`. */
const cliEnvOf = (vars: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TOKENDESK_')) env[name] = value
  }
  return { ...env, TOKENDESK_LOG_LEVEL: 'trace', ...vars }
}

const sqlite: Backend = {
  label: 'SQLite',
  open: async (logger) => {
    const t = await createTestApp({ logger })
    onTestFinished(() => t.close())
    return { t, cliEnv: cliEnvOf({ TOKENDESK_DATABASE_URL: `sqlite:${t.databaseFile}` }) }
  },
  stored: async (t) => {
    const files = [t.databaseFile, `${t.databaseFile}-wal`, `${t.databaseFile}-shm`].filter(
      (file) => existsSync(file),
    )
    expect(files).toContain(t.databaseFile)
    const bytes = Buffer.concat(files.map((file) => readFileSync(file)))
    return { text: bytes.toString('latin1'), bytes }
  },
}

const schemas = new WeakMap<TestApp, TestSchema>()
const postgres: Backend = {
  label: 'PostgreSQL',
  open: async (logger) => {
    const schema = freshSchema(TEST_DATABASE_URL as string)
    onTestFinished(() => schema.drop())
    const env = {
      TOKENDESK_DATABASE_URL: schema.url,
      TOKENDESK_SECRET_KEY: randomBytes(32).toString('base64'),
    }
    const t = await createTestApp({ logger, env })
    onTestFinished(() => t.close()) // before the schema is dropped
    schemas.set(t, schema)
    return { t, cliEnv: cliEnvOf(env) }
  },
  stored: async (t) => {
    const schema = schemas.get(t) as TestSchema
    const tables = await schema.query<{ table_name: string }>(
      `select table_name from information_schema.tables
        where table_schema = $1 and table_type = 'BASE TABLE' order by table_name`,
      [schema.name],
    )
    // Not vacuous: the schema holds tokendesk's tables.
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        'users',
        'tokens',
        'emergency_codes',
        'api_keys',
        'agent_keys',
        'totp_authenticators',
        'audit_events',
      ]),
    )
    const rows: string[] = []
    for (const { table_name } of tables) {
      const dumped = await schema.query<{ row: string }>(
        `select row_to_json(t)::text as row from "${schema.name}"."${table_name}" t`,
      )
      rows.push(...dumped.map((r) => `${table_name}: ${r.row}`))
    }
    return { text: rows.join('\n') }
  },
}

if (TEST_DATABASE_URL === undefined) {
  console.warn(
    '\n*** SKIPPED hostile/secrets.test.ts on PostgreSQL: TOKENDESK_TEST_DATABASE_URL is unset (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n',
  )
}
const backends: Backend[] = TEST_DATABASE_URL === undefined ? [sqlite] : [sqlite, postgres]

describe.each(backends)('secrets stay secret on $label', (backend) => {
  it('emergency codes, private keys, seeds, agent keys and JWTs: only where they belong', async () => {
    assertCliBuilt()
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
    const { t, cliEnv } = await backend.open(logger)

    const responses: LightMyRequestResponse[] = []
    const tokens: string[] = []
    const send = async (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      body?: unknown,
      headerName: 'authorization' | 'x-api-key' = 'authorization',
    ) => {
      const jwt = await signJwt(t.company.superAdmin, { jti: `secret-test-${tokens.length}` })
      tokens.push(jwt)
      const response = await t.app.inject({
        method,
        url: `${ADMIN}${path}`,
        headers: {
          [headerName]: headerName === 'authorization' ? `Bearer ${jwt}` : jwt,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      })
      responses.push(response)
      return response
    }
    const authn = async (
      key: string,
      path: string,
      body?: unknown,
      headers?: Record<string, string>,
    ) => {
      const response = await mfa(t, key, path, body, headers)
      responses.push(response)
      return response
    }

    // Arrange: a user, a hardware token with a known seed.
    const email = 'secret-holder@example.com'
    const created = await send('POST', '/v1/users', { emailAddress: email, firstName: 'Sekret' })
    expect(created.statusCode).toBe(201)
    const userId = created.json().id as string
    const seedBytes = randomBytes(20)
    const seed = encodeBase32(new Uint8Array(seedBytes))
    const seedHex = seedBytes.toString('hex')
    const imported = await send('POST', '/v1/sidTokens/import', {
      tokens: [{ tokenSerialNumber: 'SEED-0001', secret: seed }],
    })
    expect(imported.statusCode, imported.body).toBe(200)
    expect(imported.body).not.toContain(seed)

    // Act: two emergency codes (v1 and v2, the second revoking the first) and an API key.
    const v1 = await send('PUT', `/v1/users/${userId}/emergencyTokencode`, { expirationDays: '3' })
    expect(v1.statusCode, v1.body).toBe(200)
    const v2 = await send(
      'PUT',
      `/v2/users/${userId}/emergencyTokencode`,
      { oneTimeUse: true },
      'x-api-key',
    )
    expect(v2.statusCode, v2.body).toBe(200)
    const codes = [v1.json().emergencyTokencode as string, v2.json().emergencyTokencode as string]
    for (const code of codes) expect(code).toMatch(/^[0-9A-Z]{8}$/)

    const keyResponse = await send('POST', '/v1/apikeys', {
      role: 'HELP_DESK_ADMIN',
      description: 'rotate me',
    })
    expect(keyResponse.statusCode, keyResponse.body).toBe(201)
    const accessKey = keyResponse.json().accessKey as string
    const keyLines = accessKey.split('\n').filter((line) => /^[A-Za-z0-9+/]{64}$/.test(line))
    expect(keyLines.length).toBeGreaterThan(10)
    const keyLine = keyLines[Math.floor(keyLines.length / 2)] as string

    // An Authenticate OTP seed (in its registration response only).
    const registered = responses.length
    const totpSeed = await registerTotp(t, userId)
    const totpSecret = encodeBase32(totpSeed)
    const totpHex = Buffer.from(totpSeed).toString('hex')

    // Agent keys: one by the API, one by the CLI (into its key file; stdout has the id only).
    const agentResponse = await send('POST', '/v1/agentkeys', { description: 'vpn gateway' })
    expect(agentResponse.statusCode, agentResponse.body).toBe(201)
    const apiAgentKey = agentResponse.json().clientKey as string
    const apiAgentKeyId = agentResponse.json().clientKeyId as string
    const keyFile = join(t.dir, 'cli-agent.key')
    const cliRuns: CliResult[] = []
    const created2 = await cli(
      ['agentkey', 'create', '--company', t.company.name, '--out', keyFile],
      cliEnv,
    )
    cliRuns.push(created2)
    expect(created2.code, created2.stderr).toBe(0)
    const cliAgentKey = JSON.parse(readFileSync(keyFile, 'utf8')).clientKey as string
    cliRuns.push(await cli(['agentkey', 'list', '--company', t.company.name, '--json'], cliEnv))
    const agentKeys = [apiAgentKey, cliAgentKey]
    for (const key of agentKeys) expect(key).toMatch(/^[a-z0-9]{48}$/)

    // Both work, both leave audit events; then errors that carry a key.
    for (const key of agentKeys) {
      const answer = await authn(key, '/authn/initialize', {
        subjectName: email,
        clientId: 'secrets',
        context: { messageId: `m-${key.slice(0, 4)}` },
        subjectCredentials: [
          { methodId: 'TOKEN', collectedInputs: [{ name: 'TOKEN', value: '000000' }] },
        ],
      })
      expect(answer.statusCode, answer.body).toBe(200)
      expect(answer.json().attemptResponseCode).toBe('FAIL')
      expect((await authn(key, '/authn/initialize', '{"subjectName":', {})).statusCode).toBe(400)
      const wrongType = await authn(key, '/authn/initialize', 'subjectName=x', {
        'content-type': 'text/plain',
      })
      expect(wrongType.statusCode).toBe(415)
    }
    const ok = await authn(cliAgentKey, '/authn/initialize', {
      subjectName: email,
      context: { messageId: 'm-ok' },
      subjectCredentials: [
        {
          methodId: 'TOKEN',
          collectedInputs: [{ name: 'TOKEN', value: totpNow(totpSeed, t.runtime.clock.now()) }],
        },
      ],
    })
    expect(ok.json().attemptResponseCode, ok.body).toBe('SUCCESS')
    // A near miss and a revoked key: 401, echoing nothing.
    const nearMiss = `${apiAgentKey.slice(0, -1)}${apiAgentKey.endsWith('a') ? 'b' : 'a'}`
    expect((await authn(nearMiss, '/authn/resources')).statusCode).toBe(401)
    expect((await send('DELETE', `/v1/agentkeys/${apiAgentKeyId}`)).statusCode).toBe(200)
    const revoked = await authn(apiAgentKey, '/authn/initialize', {
      subjectName: email,
      context: { messageId: 'm-revoked' },
    })
    expect(revoked.statusCode).toBe(401)
    expect(revoked.json()).toEqual({ code: '401 UNAUTHORIZED', description: 'Invalid client-key.' })
    cliRuns.push(
      await cli(['agentkey', 'revoke', '--company', t.company.name, apiAgentKeyId], cliEnv),
    )

    // More traffic around the secrets: reads, failures, a refused token.
    await send('POST', '/v1/users/lookup', { email })
    await send('GET', '/v1/apikeys')
    await send('GET', '/v1/agentkeys')
    await send('PATCH', `/v1/users/${userId}/methods`, { unlockMethods: ['EMERGENCY_TOKENCODE'] })
    await send('PUT', `/v1/users/${userId}/emergencyTokencode`, { expirationDays: 'nope' })
    const expired = await signJwt(t.company.superAdmin, { exp: 1 })
    tokens.push(expired)
    const refused = await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/v1/apikeys`,
      headers: { authorization: `Bearer ${expired}` },
    })
    expect(refused.statusCode).toBe(403)
    responses.push(refused)
    const traced = await t.app.inject({
      method: 'GET',
      url: `${ADMIN}/v1/company/settings`,
      headers: { authorization: `Bearer ${tokens[0]}`, 'x-request-id': 'trace-secrets-1' },
    })
    expect(traced.headers['x-request-id']).toBe('trace-secrets-1')
    responses.push(traced)

    // 1. Each code is in exactly one response: the one that created it.
    for (const [index, code] of codes.entries()) {
      const holders = responses.filter((response) => response.body.includes(code))
      expect(holders).toHaveLength(1)
      expect(holders[0]).toBe(index === 0 ? v1 : v2)
      for (const response of responses) {
        expect(JSON.stringify(response.headers)).not.toContain(code)
      }
    }
    // The private key and the API's agent key are in the creating response only, too; the
    // CLI's agent key and the hardware token seed are in none.
    expect(responses.filter((response) => response.body.includes(keyLine))).toEqual([keyResponse])
    expect(responses.filter((response) => response.body.includes(apiAgentKey))).toEqual([
      agentResponse,
    ])
    // (registerTotp's response is not in `responses`: it was made with t.call.)
    expect(responses.length).toBeGreaterThan(registered)
    for (const response of responses) {
      const text = `${response.body}\n${JSON.stringify(response.headers)}`
      for (const secret of [cliAgentKey, seed, seedHex, totpSecret, totpHex]) {
        expect(text.includes(secret), `response ${response.statusCode}: a secret`).toBe(false)
      }
      if (response !== agentResponse) expect(text.includes(apiAgentKey)).toBe(false)
    }

    const forbidden = (text: string, where: string) => {
      for (const code of codes) {
        expect(text.includes(code), `${where}: emergency code ${code}`).toBe(false)
        expect(text.includes(code.toLowerCase()), `${where}: emergency code (lower case)`).toBe(
          false,
        )
      }
      expect(text.includes(keyLine), `${where}: private key`).toBe(false)
      for (const [name, value] of [
        ['token seed', seed],
        ['token seed (hex)', seedHex],
        ['TOTP seed', totpSecret],
        ['TOTP seed (hex)', totpHex],
      ] as const) {
        expect(text.includes(value), `${where}: ${name}`).toBe(false)
        expect(
          text.toLowerCase().includes(value.toLowerCase()),
          `${where}: ${name} (any case)`,
        ).toBe(false)
      }
      for (const key of agentKeys) {
        expect(text.includes(key), `${where}: agent key`).toBe(false)
        expect(text.includes(key.toUpperCase()), `${where}: agent key (upper case)`).toBe(false)
      }
      expect(text.includes(nearMiss), `${where}: a refused client-key`).toBe(false)
      for (const jwt of tokens) {
        expect(text.includes(jwt), `${where}: a JWT`).toBe(false)
        // Not even its signature part.
        expect(text.includes(jwt.split('.')[2] as string), `${where}: a JWT signature`).toBe(false)
      }
    }

    // 2. The logs (the app's and the CLI's): present (the check is not vacuous), no secret.
    const log = lines.join('')
    expect(lines.length).toBeGreaterThan(10)
    expect(log).toContain('/emergencyTokencode')
    expect(log).toContain('authentication failed')
    expect(log).toContain(`${MFA}/authn/initialize`)
    forbidden(log, 'log')
    expect(log).not.toMatch(/Bearer/i)
    const cliOutput = cliRuns.map((run) => `${run.stdout}\n${run.stderr}`).join('\n')
    expect(cliOutput).toContain(apiAgentKeyId) // the list names the keys by id
    forbidden(cliOutput, 'CLI output')
    // Every log line of a request carries its id (admin-api.md §1), the echoed one included.
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    const requestLines = entries.filter(
      (entry) => 'req' in entry || 'res' in entry || 'reason' in entry,
    )
    expect(requestLines.length).toBeGreaterThan(10)
    for (const entry of requestLines) expect(entry.reqId, JSON.stringify(entry)).toBeTruthy()
    expect(
      entries.filter((entry) => entry.reqId === 'trace-secrets-1').length,
    ).toBeGreaterThanOrEqual(2)

    // 3. What is stored: the database files or every row of every table.
    const stored = await backend.stored(t)
    // Not vacuous: what is stored in clear is found.
    expect(stored.text.includes(email)).toBe(true)
    expect(stored.text.includes('SEED-0001')).toBe(true)
    expect(stored.text.includes(apiAgentKeyId)).toBe(true)
    forbidden(stored.text, 'database')
    if (stored.bytes) {
      expect(stored.bytes.includes(seedBytes), 'database: raw seed bytes').toBe(false)
      expect(stored.bytes.includes(Buffer.from(totpSeed)), 'database: raw TOTP seed').toBe(false)
    }
    expect(stored.text.includes(accessKey.trim()), 'database: private key PEM').toBe(false)

    // 4. The audit trail records what happened, without the secrets.
    const events = await t.runtime.store.read.audit.list(t.company.id)
    const actions = events.map((event) => event.action)
    expect(actions).toEqual(
      expect.arrayContaining([
        'api_key.created',
        'agent_key.created',
        'agent_key.revoked',
        'authenticator.totp_registered',
        'authn.failed',
        'authn.succeeded',
      ]),
    )
    forbidden(JSON.stringify(events), 'audit')
  })
})

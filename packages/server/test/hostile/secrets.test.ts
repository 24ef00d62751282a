import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { encodeBase32 } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { ADMIN, buildTestApp, signJwt } from '../helpers.js'

/**
 * Secret hygiene (admin-api.md §2, §6; docs/api.md "Emergency tokencodes"): an emergency code is
 * in the response that created it and nowhere else; key material and token seeds never reach the
 * logs or the database files in clear; request tokens never reach the logs.
 */
describe('secrets stay secret', () => {
  it('emergency codes, private keys, seeds and JWTs: only where they belong', async () => {
    const lines: string[] = []
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) })
    const t = await buildTestApp({ logger })

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

    // Arrange: a user, a hardware token with a known seed.
    const email = 'secret-holder@example.com'
    const created = await send('POST', '/v1/users', { emailAddress: email, firstName: 'Sekret' })
    expect(created.statusCode).toBe(201)
    const userId = created.json().id as string
    const seedBytes = randomBytes(20)
    const seed = encodeBase32(new Uint8Array(seedBytes))
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

    // More traffic around the secrets: reads, failures, a refused token.
    await send('POST', '/v1/users/lookup', { email })
    await send('GET', '/v1/apikeys')
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
    // The private key is in the creating response only, too.
    expect(responses.filter((response) => response.body.includes(keyLine))).toEqual([keyResponse])

    // 2. The logs: present (the check is not vacuous), without any secret.
    const log = lines.join('')
    expect(lines.length).toBeGreaterThan(10)
    expect(log).toContain('/emergencyTokencode')
    expect(log).toContain('authentication failed')
    const forbidden = (text: string, where: string) => {
      for (const code of codes) {
        expect(text.includes(code), `${where}: emergency code ${code}`).toBe(false)
        expect(text.includes(code.toLowerCase()), `${where}: emergency code (lower case)`).toBe(
          false,
        )
      }
      expect(text.includes(keyLine), `${where}: private key`).toBe(false)
      expect(text.includes(seed), `${where}: token seed`).toBe(false)
      expect(text.includes(seed.toLowerCase()), `${where}: token seed (lower case)`).toBe(false)
    }
    forbidden(log, 'log')
    for (const jwt of tokens) {
      expect(log.includes(jwt), 'log: a JWT').toBe(false)
      // Not even its signature part.
      expect(log.includes(jwt.split('.')[2] as string), 'log: a JWT signature').toBe(false)
    }
    expect(log).not.toMatch(/Bearer/i)
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

    // 3. The database files (main file, WAL and shared memory), as raw bytes.
    const files = [t.databaseFile, `${t.databaseFile}-wal`, `${t.databaseFile}-shm`].filter(
      (file) => existsSync(file),
    )
    expect(files).toContain(t.databaseFile)
    const database = Buffer.concat(files.map((file) => readFileSync(file)))
    // Not vacuous: what is stored in clear is found.
    expect(database.includes(Buffer.from(email))).toBe(true)
    expect(database.includes(Buffer.from('SEED-0001'))).toBe(true)
    forbidden(database.toString('latin1'), 'database')
    expect(database.includes(seedBytes), 'database: raw seed bytes').toBe(false)
    expect(database.includes(Buffer.from(accessKey.trim())), 'database: private key PEM').toBe(
      false,
    )

    // 4. The audit trail records what happened, without the secrets.
    const events = await t.runtime.store.read.audit.list(t.company.id)
    const actions = events.map((event) => event.action)
    expect(actions.length).toBeGreaterThan(3)
    expect(actions).toContain('api_key.created')
    const audit = JSON.stringify(events)
    forbidden(audit, 'audit')
    for (const jwt of tokens) expect(audit.includes(jwt)).toBe(false)
  })
})

import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, UUID_PATTERN } from '../helpers.js'
import { agentKey, MFA, mfa } from './authn-helpers.js'

describe('agent keys (client-key)', () => {
  it('are created once as a key file, listed without the key, and stored only as a hash', async () => {
    const t = await buildTestApp()
    const created = await t.call('POST', '/v1/agentkeys', { description: 'vpn' })
    expect(created.statusCode).toBe(201)
    const file = created.json()
    expect(Object.keys(file).sort()).toEqual([
      'authnApiUrl',
      'clientKey',
      'clientKeyId',
      'customerName',
    ])
    expect(file.customerName).toBe('Acme')
    expect(file.clientKeyId).toMatch(UUID_PATTERN)
    expect(file.clientKey).toMatch(/^[a-z0-9]{40,}$/)
    expect(file.authnApiUrl).toBe('http://tokendesk.test:8080/mfa/v1_1')
    const listed = await t.call('GET', '/v1/agentkeys')
    expect(listed.statusCode).toBe(200)
    expect(listed.json()).toEqual([
      {
        clientKeyId: file.clientKeyId,
        description: 'vpn',
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ])
    expect(listed.body).not.toContain(file.clientKey)
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(t.databaseFile).includes(Buffer.from(file.clientKey))).toBe(false)
  })

  it('are SUPER_ADMIN only', async () => {
    const t = await buildTestApp()
    const response = await t.call('POST', '/v1/agentkeys', {}, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect((await t.call('GET', '/v1/agentkeys', undefined, t.company.helpDesk)).statusCode).toBe(
      403,
    )
  })

  it('open the Authentication API; a missing, wrong or revoked key is 401 Invalid client-key', async () => {
    const t = await buildTestApp()
    const key = await agentKey(t)
    const ok = await mfa(t, key, '/authn/resources?lang=en_US')
    expect(ok.statusCode).toBe(200)
    expect(ok.headers['ratelimit-limit']).toBe('400')
    const invalid = { code: '401 UNAUTHORIZED', description: 'Invalid client-key.' }
    for (const wrong of [undefined, '', `${key}x`, key.toUpperCase(), 'a'.repeat(5000)]) {
      const response = await mfa(t, wrong, '/authn/initialize', {
        subjectName: 'x',
        context: { messageId: 'm' },
      })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual(invalid)
    }
    const [row] = (await t.call('GET', '/v1/agentkeys')).json()
    const revoked = await t.call('DELETE', `/v1/agentkeys/${row.clientKeyId}`)
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().revokedAt).toEqual(expect.any(String))
    const after = await mfa(t, key, '/authn/resources')
    expect(after.statusCode).toBe(401)
    expect(
      (await t.call('DELETE', '/v1/agentkeys/00000000-0000-4000-8000-000000000000')).statusCode,
    ).toBe(404)
  })

  it('failed client-keys spend the address budget shared with the admin API: then 429', async () => {
    const t = await buildTestApp({
      env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '3' },
      clock: manualClock(),
    })
    const codes: number[] = []
    for (let i = 0; i < 5; i++) codes.push((await mfa(t, 'wrong', '/authn/resources')).statusCode)
    expect(codes).toEqual([401, 401, 401, 429, 429])
    const limited = await mfa(t, 'wrong', '/authn/resources')
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(limited.json()).toEqual({
      code: '429 TOO_MANY_REQUESTS',
      description: 'Too many requests.',
    })
    // A valid key is not affected.
    const key = await agentKey(t)
    expect((await mfa(t, key, '/authn/resources')).statusCode).toBe(200)
  })

  it('have a token bucket: 200/s, burst 400', async () => {
    const t = await buildTestApp({ clock: manualClock() })
    const key = await agentKey(t)
    const statuses = await Promise.all(
      Array.from({ length: 401 }, () => mfa(t, key, '/authn/resources').then((r) => r.statusCode)),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(400)
    expect(statuses.filter((s) => s === 429)).toHaveLength(1)
  })

  it('unusable bodies are 400/415 with the business body; the rest is 200', async () => {
    const t = await buildTestApp()
    const key = await agentKey(t)
    const malformed = await mfa(t, key, '/authn/initialize', '{"subjectName":')
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().code).toBe('400 BAD_REQUEST')
    const text = await t.app.inject({
      method: 'POST',
      url: `${MFA}/authn/initialize`,
      headers: { 'client-key': key, 'content-type': 'text/plain' },
      payload: 'hello',
    })
    expect(text.statusCode).toBe(415)
    expect(text.json().code).toBe('415 UNSUPPORTED_MEDIA_TYPE')
    expect(existsSync(t.dir)).toBe(true)
  })
})

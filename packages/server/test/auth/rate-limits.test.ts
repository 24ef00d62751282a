import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { ADMIN, buildTestApp, manualClock, signJwt } from '../helpers.js'

/** admin-api.md §5, docs/api.md "Rate limiting" and the failed-authentication budget of §3. */

const TOO_MANY = { code: '429 TOO_MANY_REQUESTS', description: 'Too many requests.' }
const PATH = `${ADMIN}/v1/company/settings`

const expect429 = (response: LightMyRequestResponse) => {
  expect(response.statusCode, response.body).toBe(429)
  expect(response.json()).toStrictEqual(TOO_MANY)
  const retryAfter = response.headers['retry-after']
  expect(String(retryAfter)).toMatch(/^\d+$/)
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
}

const expectRateHeaders = (response: LightMyRequestResponse, context: string) => {
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    expect(String(response.headers[name]), `${name} on ${context}`).toMatch(/^\d+$/)
  }
}

describe('failed-authentication budget per client address', () => {
  it('10 failures → 403, then 429; valid credentials and other addresses are unaffected', async () => {
    const clock = manualClock()
    const t = await buildTestApp({ clock })
    const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url: PATH, remoteAddress, headers })
    const bad = { authorization: 'Bearer not.a.token' }

    for (let i = 1; i <= 10; i++) {
      const response = await from('10.0.0.7', bad)
      expect(response.statusCode, `failure ${i}`).toBe(403)
      expect(response.json().message).toBe('Server failed to process provided access token')
    }
    const eleventh = await from('10.0.0.7', bad)
    expect429(eleventh)
    expect(eleventh.headers['x-request-id']).toBeTruthy()

    // Any kind of failure from that address is 429 now: no header, an unknown key, a spoofed
    // X-Forwarded-For (no proxy is trusted).
    expect429(await from('10.0.0.7'))
    const unknownKey = await signJwt({ ...t.company.superAdmin, accessID: randomUUID() })
    expect429(await from('10.0.0.7', { authorization: `Bearer ${unknownKey}` }))
    expect429(await from('10.0.0.7', { ...bad, 'x-forwarded-for': '10.9.9.9' }))

    // A valid token from the same address still succeeds.
    const valid = await from('10.0.0.7', {
      authorization: `Bearer ${await signJwt(t.company.superAdmin, {}, {}, clock.now())}`,
    })
    expect(valid.statusCode, valid.body).toBe(200)

    // Another address still gets the 403 of the failure itself.
    const other = await from('10.0.0.8', bad)
    expect(other.statusCode).toBe(403)
    expect(other.json().error).toBe('Forbidden')

    // The budget refills: 10 per minute.
    clock.advance(60_000)
    expect((await from('10.0.0.7', bad)).statusCode).toBe(403)
  })
})

describe('per-key token bucket', () => {
  it('burst 3, 1/s: three pass with RateLimit-* headers, the fourth is 429, one second later one more passes', async () => {
    const clock = manualClock()
    const t = await buildTestApp({ clock })
    await t.runtime.services.companies.updateSettings(t.cliContext(), {
      rateLimit: { requestsPerSecond: 1, burst: 3 },
    })

    const remaining: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await t.call('GET', '/v1/company/settings')
      expect(response.statusCode, response.body).toBe(200)
      expect(response.headers['ratelimit-limit']).toBe('3')
      expectRateHeaders(response, `request ${i + 1}`)
      remaining.push(String(response.headers['ratelimit-remaining']))
    }
    expect(remaining).toEqual(['2', '1', '0'])

    const fourth = await t.call('GET', '/v1/company/settings')
    expect429(fourth)
    expect(fourth.headers['retry-after']).toBe('1')
    expect(fourth.headers['ratelimit-limit']).toBe('3')
    expect(fourth.headers['ratelimit-remaining']).toBe('0')
    expect(Number(fourth.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1)

    // Every key has its own bucket.
    const helpDesk = await t.call(
      'POST',
      '/v1/users/lookup',
      { email: 'nobody@example.com' },
      t.company.helpDesk,
    )
    expect(helpDesk.statusCode).toBe(404)
    expect(helpDesk.headers['ratelimit-remaining']).toBe('2')

    clock.advance(1000)
    const fifth = await t.call('GET', '/v1/company/settings')
    expect(fifth.statusCode, fifth.body).toBe(200)
    expect(fifth.headers['ratelimit-remaining']).toBe('0')
    expect429(await t.call('GET', '/v1/company/settings'))

    // Full again after burst / rate seconds.
    clock.advance(3000)
    const full = await t.call('GET', '/v1/company/settings')
    expect(full.statusCode).toBe(200)
    expect(full.headers['ratelimit-remaining']).toBe('2')

    // A change of the limit through the API applies from the next request on.
    const put = await t.call('PUT', '/v1/company/settings', {
      rateLimit: { requestsPerSecond: 1, burst: 2 },
    })
    expect(put.statusCode, put.body).toBe(200)
    expect(put.headers['ratelimit-remaining']).toBe('1')
    const next = await t.call('GET', '/v1/company/settings')
    expect(next.statusCode).toBe(200)
    expect(next.headers['ratelimit-limit']).toBe('2')
    expect(next.headers['ratelimit-remaining']).toBe('0')
    expect429(await t.call('GET', '/v1/company/settings'))
  })

  it('every authenticated response carries the three RateLimit headers: 200, 201, 400, 403, 404, 409, 413, 415', async () => {
    const t = await buildTestApp()
    const userId = await t.createUser('limits@example.com')
    const responses: Array<[string, number, LightMyRequestResponse]> = [
      ['GET settings', 200, await t.call('GET', '/v1/company/settings')],
      [
        'POST user',
        201,
        await t.call('POST', '/v1/users', { emailAddress: 'limits2@example.com' }),
      ],
      [
        'bad body',
        400,
        await t.call('PATCH', `/v1/users/${userId}/methods`, { unlockMethods: [] }),
      ],
      [
        'bad user id',
        400,
        await t.call('PATCH', '/v1/users/nope/methods', { unlockMethods: ['SMS'] }),
      ],
      ['role', 403, await t.call('GET', '/v1/company/settings', undefined, t.company.helpDesk)],
      [
        'unknown user',
        404,
        await t.call('PUT', `/v1/users/${randomUUID()}/emergencyTokencode`, {}),
      ],
      ['duplicate', 409, await t.call('POST', '/v1/users', { emailAddress: 'limits@example.com' })],
      [
        'too large',
        413,
        await t.call('POST', '/v1/users/lookup', { email: 'x'.repeat(70 * 1024) }),
      ],
      [
        'media type',
        415,
        await t.app.inject({
          method: 'POST',
          url: `${ADMIN}/v1/users/lookup`,
          headers: {
            authorization: `Bearer ${await signJwt(t.company.superAdmin)}`,
            'content-type': 'text/plain',
          },
          payload: 'limits@example.com',
        }),
      ],
    ]
    for (const [name, status, response] of responses) {
      expect(response.statusCode, `${name}: ${response.body}`).toBe(status)
      expectRateHeaders(response, name)
    }
    // An authentication failure identifies no key: no RateLimit headers.
    const anonymous = await t.app.inject({ method: 'GET', url: PATH })
    expect(anonymous.statusCode).toBe(403)
    expect(anonymous.headers['ratelimit-limit']).toBeUndefined()
  })
})

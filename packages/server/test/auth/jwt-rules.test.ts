import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import type { ApiKeyFile } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, ADMIN_URL, manualClock, PUBLIC_URL, signJwt, useSharedTestApp } from '../helpers.js'

/**
 * admin-api.md §3 and docs/api.md "Request authentication": every rule of the JWT check, through
 * the real app, with the exact `message` of the Spring-style 403 body.
 */

const NOW_S = 1_764_000_000
const NOW_MS = NOW_S * 1000

const MSG = {
  process: 'Server failed to process provided access token',
  unsupported: 'Unsupported token: the JWT must be of type JWT, signed with RS256',
  expired: 'Provided access token is expired or valid for more than one hour',
  audience: 'Invalid audience: aud must be the adminRestApiUrl of the key file',
} as const

// Failed authentications must not hit the per-address budget, and the clock stands still.
const ENV = { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '100000' }

const PROBE_PATH = `${ADMIN}/v1/company/settings`

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

type Alg = 'RS256' | 'RS512' | 'PS256' | 'HS256' | 'none'

/**
 * A JWT signed by hand with node:crypto, as PyJWT or a hostile client would make it (jose refuses
 * fractional or string `iat`/`exp`). `payload` may be raw JSON text.
 */
const handSign = (
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string,
  key: KeyObject | string,
  alg: Alg = 'RS256',
): string => {
  const input = `${b64(header)}.${b64(payload)}`
  const data = Buffer.from(input)
  let signature: Buffer
  switch (alg) {
    case 'RS256':
      signature = sign('sha256', data, key)
      break
    case 'RS512':
      signature = sign('sha512', data, key)
      break
    case 'PS256':
      signature = sign('sha256', data, {
        key: typeof key === 'string' ? createPrivateKey(key) : key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
      break
    case 'HS256':
      signature = createHmac('sha256', key as string)
        .update(data)
        .digest()
      break
    case 'none':
      signature = Buffer.alloc(0)
      break
  }
  return `${input}.${signature.toString('base64url')}`
}

const claimsOf = (key: ApiKeyFile, extra: Record<string, unknown> = {}) => ({
  sub: key.accessID,
  iat: NOW_S,
  exp: NOW_S + 300,
  aud: key.adminRestApiUrl,
  ...extra,
})

/** A well-formed RS256 token of `key` with `extra` claims (a claim set to undefined is dropped). */
const tokenOf = (
  key: ApiKeyFile,
  extra: Record<string, unknown> = {},
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
): string => handSign(header, claimsOf(key, extra), key.accessKey)

const expectAuthFailure = (
  response: LightMyRequestResponse,
  message: string,
  path = PROBE_PATH,
): void => {
  expect(response.statusCode, response.body).toBe(403)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'path', 'status', 'timestamp'])
  expect(body.status).toBe(403)
  expect(body.error).toBe('Forbidden')
  expect(body.path).toBe(path)
  expect(typeof body.timestamp).toBe('number')
  expect(Number.isInteger(body.timestamp)).toBe(true)
  // Spring writes the wall-clock time in milliseconds.
  expect(Math.abs(body.timestamp - Date.now())).toBeLessThan(60_000)
  expect(body.message).toContain(message)
  expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/)
}

describe('JWT rules (admin-api.md §3)', () => {
  const clock = manualClock(NOW_MS)
  const shared = useSharedTestApp({ env: ENV, clock })

  let attacker: { privateKey: KeyObject; publicKey: KeyObject }
  beforeAll(async () => {
    attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
    // Enough requests per second for the whole file (the clock does not move).
    await shared().runtime.services.companies.updateSettings(shared().cliContext(), {
      rateLimit: { requestsPerSecond: 100_000, burst: 200_000 },
    })
  })

  const admin = () => shared().company.superAdmin

  const send = (
    headers: Record<string, string>,
    url = `${PROBE_PATH}?probe=1`,
  ): Promise<LightMyRequestResponse> => shared().app.inject({ method: 'GET', url, headers })

  const bearer = (token: string) => send({ authorization: `Bearer ${token}` })

  const expectAccepted = async (token: string) => {
    const response = await bearer(token)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toHaveProperty('rateLimit')
  }

  describe('accepted', () => {
    it('a token made with jose, as the helper signs it', async () => {
      await expectAccepted(await signJwt(admin(), {}, {}, clock.now()))
    })

    it('fractional iat/exp as PyJWT sends them (time.time())', async () => {
      const token = handSign(
        { alg: 'RS256', typ: 'JWT' },
        `{"sub":"${admin().accessID}","iat":${NOW_S}.123,"exp":${NOW_S + 300}.456,"aud":"${admin().adminRestApiUrl}"}`,
        admin().accessKey,
      )
      await expectAccepted(token)
    })

    it('a header without typ', async () => {
      await expectAccepted(tokenOf(admin(), {}, { alg: 'RS256' }))
    })

    it('typ in any case ("jwt"): a media type, compared case-insensitively (RFC 7515 §4.1.9)', async () => {
      await expectAccepted(tokenOf(admin(), {}, { alg: 'RS256', typ: 'jwt' }))
    })

    it('a lifetime of exactly 3600 s and of 3660 s (60 s skew)', async () => {
      await expectAccepted(tokenOf(admin(), { iat: NOW_S, exp: NOW_S + 3600 }))
      await expectAccepted(tokenOf(admin(), { iat: NOW_S - 10, exp: NOW_S - 10 + 3660 }))
    })

    it('a token expired 59 s ago (within the skew), and one issued 60 s in the future', async () => {
      await expectAccepted(tokenOf(admin(), { iat: NOW_S - 600, exp: NOW_S - 59 }))
      await expectAccepted(tokenOf(admin(), { iat: NOW_S + 60, exp: NOW_S + 360 }))
    })

    it('the token in X-API-Key, as RSA’s Sentinel connector sends it', async () => {
      const response = await send({ 'x-api-key': tokenOf(admin()) })
      expect(response.statusCode, response.body).toBe(200)
    })

    it('the same token again (verified tokens are cached)', async () => {
      const token = tokenOf(admin(), { jti: 'reuse' })
      await expectAccepted(token)
      await expectAccepted(token)
    })

    it('claims the rules do not name are ignored', async () => {
      await expectAccepted(tokenOf(admin(), { iss: 'someone', nbf: NOW_S + 9999, scope: 42 }))
    })
  })

  describe('lifetime and clock rules → "expired"', () => {
    it('exp - iat = 3661 s is refused', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: NOW_S, exp: NOW_S + 3661 })),
        MSG.expired,
      )
    })

    it('7200 s tokens (the Azure Sentinel function) are refused', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: NOW_S, exp: NOW_S + 7200 })),
        MSG.expired,
      )
    })

    it('a token expired 61 s ago, or exactly 60 s ago, is refused', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: NOW_S - 600, exp: NOW_S - 61 })),
        MSG.expired,
      )
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: NOW_S - 600, exp: NOW_S - 60 })),
        MSG.expired,
      )
    })

    it('iat 61 s in the future is refused', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: NOW_S + 61, exp: NOW_S + 361 })),
        MSG.expired,
      )
    })

    it('a cached token is refused once it expires', async () => {
      const token = tokenOf(admin(), { iat: NOW_S, exp: NOW_S + 30, jti: 'short' })
      await expectAccepted(token)
      clock.advance(91_000)
      try {
        expectAuthFailure(await bearer(token), MSG.expired)
      } finally {
        clock.set(NOW_MS)
      }
    })
  })

  describe('claim types → "Server failed to process provided access token"', () => {
    it('exp and iat as strings (the RSA doc example) are refused', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), { iat: String(NOW_S), exp: String(NOW_S + 300) })),
        MSG.process,
      )
      expectAuthFailure(await bearer(tokenOf(admin(), { exp: String(NOW_S + 300) })), MSG.process)
      expectAuthFailure(await bearer(tokenOf(admin(), { iat: String(NOW_S) })), MSG.process)
    })

    it('a missing exp or iat is refused', async () => {
      expectAuthFailure(await bearer(tokenOf(admin(), { exp: undefined })), MSG.process)
      expectAuthFailure(await bearer(tokenOf(admin(), { iat: undefined })), MSG.process)
    })

    it('exp/iat as null, booleans, arrays or objects are refused', async () => {
      for (const exp of [null, true, [NOW_S + 300], { value: NOW_S + 300 }]) {
        expectAuthFailure(await bearer(tokenOf(admin(), { exp })), MSG.process)
      }
    })

    it('an exp too large for a double (1e400 parses as Infinity) is refused', async () => {
      const token = handSign(
        { alg: 'RS256', typ: 'JWT' },
        `{"sub":"${admin().accessID}","iat":${NOW_S},"exp":1e400,"aud":"${ADMIN_URL}"}`,
        admin().accessKey,
      )
      expectAuthFailure(await bearer(token), MSG.process)
    })
  })

  describe('header rules → "Unsupported token"', () => {
    it('alg none with an empty signature', async () => {
      const token = handSign({ alg: 'none', typ: 'JWT' }, claimsOf(admin()), '', 'none')
      expect(token.endsWith('.')).toBe(true)
      expectAuthFailure(await bearer(token), MSG.unsupported)
    })

    it('HS256 signed with the public key PEM as the HMAC secret (key confusion)', async () => {
      const stored = await shared().runtime.store.read.apiKeys.findByAccessId(admin().accessID)
      const publicPem = stored?.publicKeyPem as string
      expect(publicPem).toContain('PUBLIC KEY')
      const derived = createPublicKey(admin().accessKey)
        .export({ type: 'spki', format: 'pem' })
        .toString()
      for (const secret of [publicPem, derived]) {
        const token = handSign({ alg: 'HS256', typ: 'JWT' }, claimsOf(admin()), secret, 'HS256')
        expectAuthFailure(await bearer(token), MSG.unsupported)
      }
    })

    it('RS512 and PS256, though signed by the right key', async () => {
      for (const alg of ['RS512', 'PS256'] as const) {
        const token = handSign({ alg, typ: 'JWT' }, claimsOf(admin()), admin().accessKey, alg)
        expectAuthFailure(await bearer(token), MSG.unsupported)
      }
    })

    it('typ "at+jwt", "JWS" and a non-string typ', async () => {
      for (const typ of ['at+jwt', 'JWS', 1]) {
        expectAuthFailure(
          await bearer(tokenOf(admin(), {}, { alg: 'RS256', typ })),
          MSG.unsupported,
        )
      }
    })

    it('a lower-case alg "rs256"', async () => {
      expectAuthFailure(
        await bearer(tokenOf(admin(), {}, { alg: 'rs256', typ: 'JWT' })),
        MSG.unsupported,
      )
    })
  })

  describe('key rules', () => {
    it('an unknown sub → message contains "Access Id"', async () => {
      const token = handSign(
        { alg: 'RS256', typ: 'JWT' },
        claimsOf(admin(), { sub: '00000000-0000-4000-8000-000000000000' }),
        admin().accessKey,
      )
      const response = await bearer(token)
      expectAuthFailure(response, 'Access Id')
      expect(response.json().message).toMatch(/^Invalid Access Id/)
    })

    it('a missing or non-string sub → "Access Id"', async () => {
      expectAuthFailure(await bearer(tokenOf(admin(), { sub: undefined })), 'Access Id')
      expectAuthFailure(await bearer(tokenOf(admin(), { sub: 42 })), 'Access Id')
      expectAuthFailure(await bearer(tokenOf(admin(), { sub: '' })), 'Access Id')
    })

    it('signed by another key of the company for this sub (help desk signing as super admin)', async () => {
      const token = handSign(
        { alg: 'RS256', typ: 'JWT' },
        claimsOf(admin()),
        shared().company.helpDesk.accessKey,
      )
      expectAuthFailure(await bearer(token), MSG.process)
    })

    it('signed by a newly created key for another key’s sub', async () => {
      const t = shared()
      const second = await t.runtime.services.apiKeys.create(t.cliContext(), {
        role: 'SUPER_ADMIN',
        description: 'second',
      })
      // The second key itself works…
      await expectAccepted(tokenOf(second.file))
      // …but not in the name of the first one.
      const forged = handSign(
        { alg: 'RS256', typ: 'JWT' },
        claimsOf(admin()),
        second.file.accessKey,
      )
      expectAuthFailure(await bearer(forged), MSG.process)
    })

    it('a signature swapped in from another valid token', async () => {
      const a = tokenOf(admin(), { jti: 'a' })
      const b = tokenOf(admin(), { jti: 'b' })
      await expectAccepted(b)
      const [header, payload] = a.split('.')
      const signatureOfB = b.split('.')[2]
      expectAuthFailure(await bearer(`${header}.${payload}.${signatureOfB}`), MSG.process)
    })

    it('a payload tampered with after signing (sub of the help desk key, signature kept)', async () => {
      const token = tokenOf(shared().company.helpDesk)
      const [header, , signature] = token.split('.')
      const payload = b64(claimsOf(admin()))
      expectAuthFailure(await bearer(`${header}.${payload}.${signature}`), MSG.process)
    })

    it('a token of a key of another company works only in that company', async () => {
      const other = await shared().addCompany('Other Corp')
      const token = tokenOf(other.superAdmin)
      const response = await bearer(token)
      expect(response.statusCode).toBe(200)
      // …and its signature does not pass for a key of Acme.
      const forged = handSign(
        { alg: 'RS256', typ: 'JWT' },
        claimsOf(admin()),
        other.superAdmin.accessKey,
      )
      expectAuthFailure(await bearer(forged), MSG.process)
    })
  })

  describe('key-naming header parameters are ignored (docs/api.md)', () => {
    const attackerPem = () =>
      attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

    it('a jwk header carrying the attacker’s public key, signed by the attacker', async () => {
      const jwk = attacker.publicKey.export({ format: 'jwk' })
      const token = handSign({ alg: 'RS256', typ: 'JWT', jwk }, claimsOf(admin()), attackerPem())
      expectAuthFailure(await bearer(token), MSG.process)
    })

    it('jku, x5u and kid pointing elsewhere, signed by the attacker', async () => {
      const headers = [
        { jku: 'http://attacker.example/jwks.json' },
        { x5u: 'http://attacker.example/cert.pem' },
        { kid: shared().company.helpDesk.accessID },
        { kid: '../../../../dev/null' },
        { x5c: ['MIIB'] },
      ]
      for (const extra of headers) {
        const token = handSign(
          { alg: 'RS256', typ: 'JWT', ...extra },
          claimsOf(admin()),
          attackerPem(),
        )
        expectAuthFailure(await bearer(token), MSG.process)
      }
    })

    it('a kid naming another key does not switch keys: the token of sub’s key still verifies', async () => {
      const token = tokenOf(
        admin(),
        {},
        {
          alg: 'RS256',
          typ: 'JWT',
          kid: shared().company.helpDesk.accessID,
          jku: 'http://attacker.example/jwks.json',
        },
      )
      await expectAccepted(token)
    })

    it('an unknown critical header parameter is refused', async () => {
      const token = tokenOf(admin(), {}, { alg: 'RS256', typ: 'JWT', crit: ['exp'], exp: 1 })
      expectAuthFailure(await bearer(token), MSG.process)
    })
  })

  describe('audience rules → "Invalid audience"', () => {
    it.each([
      ['the exact adminRestApiUrl', ADMIN_URL],
      ['without the trailing slash', `${PUBLIC_URL}${ADMIN}`],
      ['with /v1', `${PUBLIC_URL}${ADMIN}/v1`],
      ['with /v2/', `${PUBLIC_URL}${ADMIN}/v2/`],
      ['with an upper-case scheme and host', `HTTP://TOKENDESK.TEST:8080${ADMIN}/`],
      ['the bare origin (pydplus), lenient mode', PUBLIC_URL],
      ['the bare origin with a trailing slash', `${PUBLIC_URL}/`],
    ])('accepts %s', async (_name, aud) => {
      await expectAccepted(tokenOf(admin(), { aud }))
    })

    it.each([
      ['another host', `http://evil.test:8080${ADMIN}/`],
      ['another port', `http://tokendesk.test:8081${ADMIN}/`],
      ['another scheme', `https://tokendesk.test:8080${ADMIN}/`],
      ['another path', `${PUBLIC_URL}/AdminInterface/other/`],
      ['a path of a different case', `${PUBLIC_URL}/admininterface/restapi/`],
      ['a deeper path', `${PUBLIC_URL}${ADMIN}/v1/users`],
      ['a /v3 suffix', `${PUBLIC_URL}${ADMIN}/v3`],
      ['a host with a suffix', `http://tokendesk.test.evil.test:8080${ADMIN}/`],
      ['user info', `http://admin@tokendesk.test:8080${ADMIN}/`],
      ['a query string', `${PUBLIC_URL}${ADMIN}/?x=1`],
      ['not a URL', 'tokendesk'],
      ['an empty string', ''],
    ])('refuses %s', async (_name, aud) => {
      expectAuthFailure(await bearer(tokenOf(admin(), { aud })), MSG.audience)
    })

    it('accepts an array that contains the right audience', async () => {
      await expectAccepted(tokenOf(admin(), { aud: ['https://other.example', ADMIN_URL] }))
    })

    it('refuses an array with a non-string element, even next to the right one', async () => {
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: [123, ADMIN_URL] })), MSG.audience)
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: [ADMIN_URL, null] })), MSG.audience)
    })

    it('refuses an empty array, a missing aud and non-string auds', async () => {
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: [] })), MSG.audience)
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: undefined })), MSG.audience)
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: 42 })), MSG.audience)
      expectAuthFailure(await bearer(tokenOf(admin(), { aud: { url: ADMIN_URL } })), MSG.audience)
    })
  })

  describe('transport → 403 with the Spring body, never a 5xx', () => {
    it('no Authorization header', async () => {
      expectAuthFailure(await send({}), MSG.process)
    })

    it.each([
      ['Basic credentials', 'Basic YWRtaW46YWRtaW4='],
      ['Bearer with nothing', 'Bearer'],
      ['Bearer with blanks', 'Bearer    '],
      ['a garbage two-part token', 'Bearer abc.def'],
      ['a garbage three-part token', 'Bearer abc.def.ghi'],
      ['four parts', 'Bearer a.b.c.d'],
      ['a bare JWT without the scheme', 'JWT_WITHOUT_SCHEME'],
      ['two tokens', 'Bearer a.b.c a.b.c'],
      ['non-ASCII', 'Bearer äöü.ß.€'],
    ])('%s', async (_name, authorization) => {
      const value = authorization === 'JWT_WITHOUT_SCHEME' ? tokenOf(admin()) : authorization
      expectAuthFailure(await send({ authorization: value }), MSG.process)
    })

    it('a header that is not JSON, or JSON that is not an object', async () => {
      const rest = tokenOf(admin()).split('.').slice(1).join('.')
      for (const header of ['not json', '"RS256"', 'null', '[]', '{']) {
        expectAuthFailure(await bearer(`${b64(header)}.${rest}`), MSG.process)
      }
    })

    it('a payload that is not a JSON object (with a valid RS256 header)', async () => {
      for (const payload of ['not json', 'null', '[1]', '"sub"', '{']) {
        const token = handSign({ alg: 'RS256', typ: 'JWT' }, payload, admin().accessKey)
        expectAuthFailure(await bearer(token), MSG.process)
      }
    })

    it('a 20 KB token', async () => {
      const token = tokenOf(admin(), { padding: 'x'.repeat(20_000) })
      expect(token.length).toBeGreaterThan(20_000)
      expectAuthFailure(await bearer(token), MSG.process)
      expectAuthFailure(await send({ 'x-api-key': token }), MSG.process)
    })

    it('an empty X-API-Key, and a bad Authorization next to a good X-API-Key', async () => {
      expectAuthFailure(await send({ 'x-api-key': '' }), MSG.process)
      expectAuthFailure(
        await send({ authorization: 'Basic abc', 'x-api-key': tokenOf(admin()) }),
        MSG.process,
      )
    })

    it('path is the request path without the query string, also for user routes', async () => {
      const path = `${ADMIN}/v1/users/cddedcec-4444-5555-6666-06e3f89947c4/methods`
      const response = await shared().app.inject({
        method: 'PATCH',
        url: `${path}?a=1&b=2`,
        headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
        payload: '{"unlockMethods":["TOKEN"]}',
      })
      expectAuthFailure(response, MSG.process, path)
    })

    it('authentication comes before the body: an unauthenticated malformed body is 403, not 400', async () => {
      const path = `${ADMIN}/v1/users`
      const response = await shared().app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: '{"a":',
      })
      expectAuthFailure(response, MSG.process, path)
    })

    it('HEAD on a GET route needs a token too', async () => {
      const response = await shared().app.inject({ method: 'HEAD', url: PROBE_PATH })
      expect(response.statusCode).toBe(403)
    })
  })
})

describe('audience with a default port, strict mode (admin-api.md §3)', () => {
  const clock = manualClock(NOW_MS)
  const shared = useSharedTestApp({
    env: {
      ...ENV,
      TOKENDESK_PUBLIC_URL: 'https://tokendesk.test',
      TOKENDESK_AUTH_AUDIENCE: 'strict',
    },
    clock,
  })

  const probe = (aud: unknown) =>
    shared().app.inject({
      method: 'GET',
      url: PROBE_PATH,
      headers: { authorization: `Bearer ${tokenOf(shared().company.superAdmin, { aud })}` },
    })

  it('key files name the https URL without a port', () => {
    expect(shared().company.superAdmin.adminRestApiUrl).toBe(`https://tokendesk.test${ADMIN}/`)
  })

  it.each([
    `https://TOKENDESK.test:443${ADMIN}/v1`,
    `https://tokendesk.test:443${ADMIN}/`,
    `https://tokendesk.test${ADMIN}`,
    `HTTPS://tokendesk.TEST${ADMIN}/v2/`,
  ])('accepts %s (default port dropped)', async (aud) => {
    const response = await probe(aud)
    expect(response.statusCode, response.body).toBe(200)
  })

  it.each([
    'https://tokendesk.test',
    'https://tokendesk.test/',
    'https://tokendesk.test:443',
    `http://tokendesk.test${ADMIN}/`,
    `https://tokendesk.test:8443${ADMIN}/`,
    `http://tokendesk.test:443${ADMIN}/`,
  ])('refuses %s', async (aud) => {
    expectAuthFailure(await probe(aud), MSG.audience)
  })
})

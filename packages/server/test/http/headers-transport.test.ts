import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'
import type { ApiKeyFile } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { type RunningServer, startServer } from '../../src/main.js'
import { agentKey, MFA } from '../authn/authn-helpers.js'
import { ADMIN, buildTestApp, importTokens, signJwt, useSharedTestApp } from '../helpers.js'

/**
 * issue 8, headers and transport:
 * (a) every kind of response (200 of each route family, 4xx, health, OpenAPI, docs) carries
 *     `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`, never `X-Powered-By`;
 *     every response of the administration API and every authenticated one of the
 *     Authentication API (codes, keys, user data) carries `Cache-Control: no-store`;
 * (b) with TOKENDESK_TLS_CERT/TOKENDESK_TLS_KEY the real server speaks HTTPS only, with that
 *     certificate;
 * (c) the body limits (64 KiB, 16 MiB for imports) and the timeouts are the documented ones
 *     (docs/configuration.md "Fixed limits").
 */

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../main/fixtures/${name}`, import.meta.url))

const expectSecurityHeaders = (label: string, headers: Record<string, unknown>) => {
  expect(headers['x-powered-by'], label).toBeUndefined()
  expect(headers['x-content-type-options'], label).toBe('nosniff')
  expect(headers['referrer-policy'], label).toBe('no-referrer')
  expect(headers['x-request-id'], label).toBeTruthy()
}

describe('(a) security headers on every kind of response', () => {
  const shared = useSharedTestApp({ env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '100000' } })
  let userId = ''
  let clientKey = ''
  let token = ''

  beforeAll(async () => {
    const t = shared()
    userId = await t.createUser('headers@example.com')
    await importTokens(t, ['HDR-0001'])
    clientKey = await agentKey(t)
    token = await signJwt(t.company.superAdmin)
  })

  const inject = (
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
  ) =>
    shared().app.inject({
      method,
      url,
      headers: {
        ...(options.body !== undefined && {
          'content-type': options.contentType ?? 'application/json',
        }),
        ...options.headers,
      },
      ...(options.body !== undefined && { payload: options.body }),
    })
  const admin = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    key?: ApiKeyFile,
  ) => shared().call(method, path, body, key)
  const mfa = (path: string, body: unknown, key: string | undefined = clientKey) =>
    inject(path.endsWith('/resources') ? 'GET' : 'POST', `${MFA}${path}`, {
      ...(body !== undefined && { body: JSON.stringify(body) }),
      headers: key === undefined ? {} : { 'client-key': key },
    })

  /** [label, response, carries data that must not be cached] */
  const responses = async (): Promise<Array<[string, LightMyRequestResponse, boolean]>> => {
    const t = shared()
    return [
      // Unauthenticated routes.
      ['GET /health/live 200', await inject('GET', '/health/live'), false],
      ['GET /health/ready 200', await inject('GET', '/health/ready'), false],
      ['HEAD /health/ready 200', await inject('HEAD', '/health/ready'), false],
      ['GET /openapi.json 200', await inject('GET', '/openapi.json'), false],
      ['GET /docs 200', await inject('GET', '/docs'), false],
      ['GET /docs/static/index.html 302', await inject('GET', '/docs/static/index.html'), false],
      ['GET /docs/json 200', await inject('GET', '/docs/json'), false],
      // 200/201 of each family of the administration API, those that carry codes and keys too.
      ['GET company settings 200', await admin('GET', '/v1/company/settings'), true],
      [
        'POST users/lookup 200',
        await admin('POST', '/v1/users/lookup', { email: 'headers@example.com' }),
        true,
      ],
      [
        'POST users/search 200',
        await admin('POST', '/v2/users/search', { emailLike: 'headers' }),
        true,
      ],
      [
        'POST users 201',
        await admin('POST', '/v1/users', { emailAddress: `h${Date.now()}@example.com` }),
        true,
      ],
      ['GET v2 devices 200', await admin('GET', `/v2/users/${userId}/devices`), true],
      [
        'PUT emergencyTokencode 200 (a code)',
        await admin('PUT', `/v1/users/${userId}/emergencyTokencode`, {}),
        true,
      ],
      [
        'PATCH methods 200',
        await admin('PATCH', `/v1/users/${userId}/methods`, { unlockMethods: ['TOKEN'] }),
        true,
      ],
      [
        'PATCH sidTokens/assign 200',
        await admin('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
          tokenSerialNumber: 'HDR-0001',
        }),
        true,
      ],
      [
        'POST authenticators/totp 201 (a seed)',
        await admin('POST', `/v1/users/${userId}/authenticators/totp`),
        true,
      ],
      ['GET adminlog/exportlogs 200', await admin('GET', '/v1/adminlog/exportlogs'), true],
      ['GET usereventlog/exportlogs 200', await admin('GET', '/v1/usereventlog/exportlogs'), true],
      ['GET apikeys 200', await admin('GET', '/v1/apikeys'), true],
      [
        'POST apikeys 201 (a private key)',
        await admin('POST', '/v1/apikeys', { role: 'HELP_DESK_ADMIN' }),
        true,
      ],
      ['GET agentkeys 200', await admin('GET', '/v1/agentkeys'), true],
      [
        'POST agentkeys 201 (a client key)',
        await admin('POST', '/v1/agentkeys', { description: 'h' }),
        true,
      ],
      // The Authentication API.
      [
        'POST authn/initialize 200',
        await mfa('/authn/initialize', {
          subjectName: 'headers@example.com',
          context: { messageId: 'm1' },
        }),
        true,
      ],
      ['GET authn/resources 200', await mfa('/authn/resources', undefined), true],
      [
        'POST authn/initialize 400 (malformed)',
        await inject('POST', `${MFA}/authn/initialize`, {
          body: '{',
          headers: { 'client-key': clientKey },
        }),
        true,
      ],
      ['POST authn/initialize 401', await mfa('/authn/initialize', {}, 'wrong'), false],
      // Errors of the administration API.
      [
        '400 malformed JSON',
        await inject('POST', `${ADMIN}/v1/users/lookup`, {
          body: '{',
          headers: { authorization: `Bearer ${token}` },
        }),
        true,
      ],
      [
        '400 undecodable URL',
        await inject('GET', `${ADMIN}/v2/users/%E0%A4%A/devices`, {
          headers: { authorization: `Bearer ${token}` },
        }),
        false,
      ],
      ['403 Spring (no JWT)', await inject('GET', `${ADMIN}/v1/company/settings`), true],
      ['403 role', await admin('GET', '/v1/apikeys', undefined, t.company.helpDesk), true],
      [
        '404 no such user',
        await admin('GET', '/v2/users/00000000-0000-4000-8000-000000000000/devices'),
        true,
      ],
      ['404 no such route', await inject('GET', `${ADMIN}/v9/nothing`), true],
      ['404 outside the APIs', await inject('GET', '/nothing'), false],
      ['405', await inject('DELETE', `${ADMIN}/v1/company/settings`), true],
      ['405 health', await inject('POST', '/health/live'), false],
      [
        '413',
        await inject('POST', `${ADMIN}/v1/users/lookup`, {
          body: JSON.stringify({ email: 'x'.repeat(70_000) }),
          headers: { authorization: `Bearer ${token}` },
        }),
        true,
      ],
      [
        '415',
        await inject('POST', `${ADMIN}/v1/users/lookup`, {
          body: 'a',
          contentType: 'text/plain',
          headers: { authorization: `Bearer ${token}` },
        }),
        true,
      ],
    ]
  }

  it('nosniff and no-referrer everywhere, X-Powered-By nowhere; no-store where data is', async () => {
    const all = await responses()
    const statuses = new Set(all.map(([, response]) => response.statusCode))
    for (const status of [200, 201, 302, 400, 401, 403, 404, 405, 413, 415]) {
      expect(statuses, `a ${status} is among the responses`).toContain(status)
    }
    for (const [label, response, sensitive] of all) {
      expect(response.statusCode, `${label}: ${response.body.slice(0, 200)}`).toBe(
        Number(/\d{3}/.exec(label)?.[0]),
      )
      expectSecurityHeaders(label, response.headers)
      if (sensitive) expect(response.headers['cache-control'], label).toBe('no-store')
    }
  })

  it('429: the same headers, and no-store (admin bucket and agent bucket)', async () => {
    const t = await buildTestApp({ rateLimit: { requestsPerSecond: 1, burst: 1 } })
    // The one token of the bucket goes to creating an agent key; the next call is refused.
    const key = await agentKey(t)
    const limited = await t.call('GET', '/v1/company/settings')
    expect(limited.statusCode, limited.body).toBe(429)
    expectSecurityHeaders('admin 429', limited.headers)
    expect(limited.headers['cache-control']).toBe('no-store')
    expect(limited.headers['retry-after']).toBeTruthy()

    // An agent key's bucket (burst 400): the 429 of the Authentication API.
    let agentLimited: LightMyRequestResponse | undefined
    for (let i = 0; i < 2_000 && !agentLimited; i++) {
      const response = await t.app.inject({
        method: 'GET',
        url: `${MFA}/authn/resources`,
        headers: { 'client-key': key },
      })
      if (response.statusCode === 429) agentLimited = response
    }
    if (!agentLimited) throw new Error('the agent key was never limited')
    expectSecurityHeaders('authn 429', agentLimited.headers)
    expect(agentLimited.headers['cache-control']).toBe('no-store')
    expect(agentLimited.json()).toMatchObject({ code: '429 TOO_MANY_REQUESTS' })
  })
})

// ---------------------------------------------------------------------------------------------

describe('(b) HTTPS with TOKENDESK_TLS_CERT / TOKENDESK_TLS_KEY (the real server)', () => {
  const cert = readFileSync(fixture('tls-test.crt'))
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-tls-'))
  let server: RunningServer
  let keyFile: ApiKeyFile

  beforeAll(async () => {
    server = await startServer(
      loadConfig({
        env: {
          TOKENDESK_DATABASE_URL: `sqlite:${join(dir, 'tokendesk.db')}`,
          TOKENDESK_PORT: '0',
          TOKENDESK_PUBLIC_URL: 'https://tokendesk.test',
          TOKENDESK_TLS_CERT: fixture('tls-test.crt'),
          TOKENDESK_TLS_KEY: fixture('tls-test.key'),
        },
      }),
    )
    // The first start wrote the SUPER_ADMIN key file of company Default.
    const [name] = readdirSync(join(dir, 'keys'))
    keyFile = JSON.parse(readFileSync(join(dir, 'keys', name ?? ''), 'utf8')) as ApiKeyFile
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** One request on a fresh TLS connection (no agent: nothing is reused between cases). */
  const https = (path: string, headers: Record<string, string> = {}, ca: Buffer | null = cert) =>
    new Promise<{
      status: number
      headers: IncomingHttpHeaders
      body: string
      fingerprint: string
      protocol: string | null
    }>((resolve, reject) => {
      const request = httpsRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path,
          headers,
          agent: false,
          servername: 'localhost',
          ...(ca && { ca }),
        },
        (response) => {
          const socket = response.socket as TLSSocket
          const fingerprint = socket.getPeerCertificate().fingerprint256
          const protocol = socket.getProtocol()
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk) => {
            body += chunk
          })
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body,
              fingerprint,
              protocol,
            }),
          )
        },
      )
      request.on('error', reject)
      request.end()
    })

  it('answers HTTPS with the configured certificate, TLS 1.2 or newer', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`)
    const response = await https('/health/live')
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toStrictEqual({ status: 'ok' })
    expectSecurityHeaders('https health', response.headers)
    expect(response.fingerprint).toBe(new X509Certificate(cert).fingerprint256)
    expect(['TLSv1.2', 'TLSv1.3']).toContain(response.protocol)
  })

  it('a real authenticated call over HTTPS (key file of the first start) → 200, no-store', async () => {
    expect(keyFile.adminRestApiUrl).toBe('https://tokendesk.test/AdminInterface/restapi/')
    const response = await https(`${ADMIN}/v1/company/settings`, {
      authorization: `Bearer ${await signJwt(keyFile)}`,
    })
    expect(response.status, response.body).toBe(200)
    expect(JSON.parse(response.body)).toHaveProperty('lockout')
    expectSecurityHeaders('https admin', response.headers)
    expect(response.headers['cache-control']).toBe('no-store')
  })

  it('a client that does not trust the certificate refuses the connection', async () => {
    await expect(https('/health/live', {}, null)).rejects.toThrow(/self.signed|certificate/i)
  })

  it('plain HTTP to the HTTPS port gets no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = httpGet(
        { host: '127.0.0.1', port: server.port, path: '/health/live' },
        (response) => {
          response.resume()
          resolve(`HTTP ${response.statusCode}`)
        },
      )
      request.setTimeout(5_000, () => request.destroy(new Error('timeout')))
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    })
    // The TLS layer drops the connection: no HTTP answer, no hang.
    expect(outcome).toMatch(/^(ECONNRESET|EPIPE)$/)
  })
})

// ---------------------------------------------------------------------------------------------

describe('(c) body limits and timeouts as documented (docs/configuration.md "Fixed limits")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-limits-'))
  let server: RunningServer
  let token = ''

  beforeAll(async () => {
    server = await startServer(
      loadConfig({
        env: {
          TOKENDESK_DATABASE_URL: `sqlite:${join(dir, 'tokendesk.db')}`,
          TOKENDESK_PORT: '0',
          TOKENDESK_PUBLIC_URL: 'http://tokendesk.test',
        },
      }),
    )
    const [name] = readdirSync(join(dir, 'keys'))
    const keyFile = JSON.parse(readFileSync(join(dir, 'keys', name ?? ''), 'utf8')) as ApiKeyFile
    token = await signJwt(keyFile)
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Sends a body of exactly `size` bytes over a real connection; resolves status and body. */
  const post = async (path: string, size: number, contentType = 'application/json') => {
    const prefix = '{"email":"'
    const suffix = '"}'
    const body = `${prefix}${'x'.repeat(Math.max(0, size - prefix.length - suffix.length))}${suffix}`
    expect(Buffer.byteLength(body)).toBe(size)
    const response = await fetch(`${server.url}${ADMIN}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      body,
    })
    return { status: response.status, body: await response.json() }
  }

  it('64 KiB is accepted, one byte more → 413 with the business body', async () => {
    const at = await post('/v1/users/lookup', 64 * 1024)
    expect(at.status).not.toBe(413)
    expect(at.status).toBeLessThan(500)
    const over = await post('/v1/users/lookup', 64 * 1024 + 1)
    expect(over.status).toBe(413)
    expect(over.body).toStrictEqual({
      code: '413 PAYLOAD_TOO_LARGE',
      description: expect.any(String),
    })
  })

  it.each([
    ['/v1/sidTokens/import', 'application/json'],
    ['/v1/sidTokens/import', 'application/pskc+xml'],
    ['/v1/sidTokens/import/pskc', 'application/json'],
    ['/v1/users/import', 'text/csv'],
  ])('%s takes 16 MiB, one byte more → 413', async (path, contentType) => {
    const at = await post(path, 16 * 1024 * 1024, contentType)
    expect(at.status).not.toBe(413)
    expect(at.status).toBeLessThan(500)
    const over = await post(path, 16 * 1024 * 1024 + 1, contentType)
    expect(over.status).toBe(413)
    expect(over.body).toMatchObject({ code: '413 PAYLOAD_TOO_LARGE' })
  })

  it('an 8 KiB path parameter reaches the route; a 16 KiB one → 431 (request line + headers)', async () => {
    // Node counts the request line with the headers (16 KiB): over a real connection that bound
    // comes before the router's own 16 KiB parameter limit (which inject alone can reach).
    const devices = (id: string) =>
      fetch(`${server.url}${ADMIN}/v2/users/${id}/devices`, {
        headers: { authorization: `Bearer ${token}` },
      })
    const at = await devices('x'.repeat(8 * 1024))
    expect(at.status).toBe(404)
    expect(await at.json()).toMatchObject({ code: '404 NOT_FOUND' })
    const over = await devices('x'.repeat(16 * 1024 + 1))
    expect(over.status).toBe(431)
    expect(await over.json()).toEqual({
      code: '431 REQUEST_HEADER_FIELDS_TOO_LARGE',
      description: 'The request line and headers are over 16 KiB.',
    })
  })

  it('headers over 16 KiB → 431, connection closed', async () => {
    const text = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1')
      let received = ''
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1')
      })
      socket.on('error', () => undefined)
      socket.on('close', () => resolve(received))
      socket.write(
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
      )
    })
    expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    expect(text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i)
    expect(text).toContain('{"code":"431 REQUEST_HEADER_FIELDS_TOO_LARGE"')
  })

  it('the timeouts are the documented fixed values', () => {
    const http = server.app.server
    // A stalled or trickling client is cut off: no byte for 30 s (connectionTimeout), or the
    // request not complete 30 s after it began (requestTimeout; Node checks every 30 s).
    expect(http.timeout).toBe(30_000)
    expect(http.requestTimeout).toBe(30_000)
    expect(http.headersTimeout).toBe(60_000)
    expect(http.keepAliveTimeout).toBe(72_000)
    expect(server.app.initialConfig.bodyLimit).toBe(64 * 1024)
  })
})

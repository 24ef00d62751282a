import { randomBytes } from 'node:crypto'
import type { ApiKeyFile } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { ADMIN, base32Secret, signJwt, type TestApp, useSharedTestApp } from '../helpers.js'
import { encryptedPskc, NS, plainPskc, plainPskcOf } from './pskc-documents.js'

/**
 * admin-api.md §10: `POST /v1/sidTokens/import` takes a PSKC document (RFC 6030) sent as
 * `application/pskc+xml` as well as JSON, with the JSON form's answers (200, 409, dryRun); a bad
 * document is the `400 Invalid PSKC: …` of `POST /v1/sidTokens/import/pskc`. No other route
 * takes that type.
 */

const PSKC = 'application/pskc+xml'

let serialCounter = 0
const nextSerial = (): string => {
  serialCounter += 1
  return `PX${String(100_000 + serialCounter)}`
}

const send = async (
  t: TestApp,
  method: 'POST' | 'PATCH',
  path: string,
  payload: string | Buffer | undefined,
  contentType: string | undefined,
  key: ApiKeyFile = t.company.superAdmin,
) =>
  t.app.inject({
    method,
    url: `${ADMIN}${path}`,
    headers: {
      authorization: `Bearer ${await signJwt(key, {}, {}, t.runtime.clock.now())}`,
      ...(contentType !== undefined && { 'content-type': contentType }),
    },
    ...(payload !== undefined && { payload }),
  })

const importXml = (t: TestApp, xml: string | Buffer, query = '', key?: ApiKeyFile) =>
  send(t, 'POST', `/v1/sidTokens/import${query}`, xml, PSKC, key)

const seed = () => randomBytes(20)

describe('POST /v1/sidTokens/import as application/pskc+xml', () => {
  const shared = useSharedTestApp()

  it('imports the document: 200 with the count and the serials, Unassigned and Disabled', async () => {
    const t = shared()
    const serials = [nextSerial(), nextSerial()]
    const response = await importXml(
      t,
      plainPskcOf(serials.map((serial) => ({ serial, seed: seed() }))),
    )
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ imported: 2, tokenSerialNumbers: serials })
    const userId = await t.createUser()
    const assigned = await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
      tokenSerialNumber: serials[1],
    })
    expect(assigned.statusCode).toBe(200)
    expect(assigned.json()).toMatchObject({
      tokenState: 'Activation Pending',
      tokenStatus: 'Disabled',
    })
  })

  it('takes a charset parameter and a byte order mark', async () => {
    const t = shared()
    const serial = nextSerial()
    const xml = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(plainPskc(serial, seed())),
    ])
    const response = await send(t, 'POST', '/v1/sidTokens/import', xml, `${PSKC}; charset=utf-8`)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json()).toEqual({ imported: 1, tokenSerialNumbers: [serial] })
  })

  it('answers 409 listing every duplicate, whichever form imported them, and imports nothing', async () => {
    const t = shared()
    const [a, b, c] = [nextSerial(), nextSerial(), nextSerial()]
    const json = await t.call('POST', '/v1/sidTokens/import', {
      tokens: [{ tokenSerialNumber: a, secret: base32Secret() }],
    })
    expect(json.statusCode).toBe(200)
    expect((await importXml(t, plainPskc(b, seed()))).statusCode).toBe(200)

    const response = await importXml(
      t,
      plainPskcOf([a, c, b].map((serial) => ({ serial, seed: seed() }))),
    )
    expect(response.statusCode).toBe(409)
    expect(response.json()).toEqual({
      code: '409 CONFLICT',
      description: `Hardware tokens already exist: ${a}, ${b}`,
    })
    // c was not imported: it imports alone now.
    expect((await importXml(t, plainPskc(c, seed()))).statusCode).toBe(200)
  })

  it('dryRun=true answers what would be imported and stores nothing', async () => {
    const t = shared()
    const serials = [nextSerial(), nextSerial()]
    const xml = plainPskcOf(serials.map((serial) => ({ serial, seed: seed() })))
    const dry = await importXml(t, xml, '?dryRun=true')
    expect(dry.statusCode, dry.body).toBe(200)
    expect(dry.json()).toEqual({ imported: 0, wouldImport: 2 })
    expect((await importXml(t, xml, '?dryRun=false')).json()).toEqual({
      imported: 2,
      tokenSerialNumbers: serials,
    })
  })

  it('takes a document over 64 KiB: the import limit (16 MiB) applies', async () => {
    const t = shared()
    const tokens = Array.from({ length: 250 }, () => ({ serial: nextSerial(), seed: seed() }))
    const xml = plainPskcOf(tokens)
    expect(Buffer.byteLength(xml)).toBeGreaterThan(64 * 1024)
    const response = await importXml(t, xml)
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200)
    expect(response.json().imported).toBe(250)
  })

  it.each([
    ['not XML', 'not xml'],
    ['an unclosed element', '<KeyContainer><KeyPackage></KeyContainer>'],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]><KeyContainer/>'],
    ['no key package', `<KeyContainer xmlns="${NS}"/>`],
    ['an HOTP key', plainPskc('HOTP-1', randomBytes(20)).replace('pskc:totp', 'pskc:hotp')],
    ['an empty body', ''],
  ])('%s → the 400 Invalid PSKC: … of the pskc route', async (_label, xml) => {
    const t = shared()
    const response = await importXml(t, xml)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect(response.json().description).toMatch(/^Invalid PSKC: /)
    if (xml !== '') {
      const viaPskcRoute = await t.call('POST', '/v1/sidTokens/import/pskc', { pskc: xml })
      expect(response.json()).toEqual(viaPskcRoute.json())
    }
  })

  it('bytes that are not UTF-8 → 400 Invalid PSKC', async () => {
    const t = shared()
    const xml = Buffer.from(
      plainPskc(nextSerial(), seed()).replace('Acme Tokens', 'Acme \u00e9'),
      'latin1',
    )
    const response = await importXml(t, xml)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Invalid PSKC: the document is not UTF-8',
    })
  })

  it('an encrypted document → 400 naming the JSON route that takes its key', async () => {
    const t = shared()
    const serial = nextSerial()
    for (const [mode, field] of [
      [{ password: 'pw' }, 'password'],
      [{ preSharedKey: randomBytes(16) }, 'preSharedKey (hex)'],
    ] as const) {
      const response = await importXml(t, encryptedPskc(serial, seed(), mode))
      expect(response.statusCode).toBe(400)
      expect(response.json().description).toMatch(
        new RegExp(
          `^Invalid PSKC: .*: send ${field.replace(/[()]/g, '\\$&')}, with the document, as JSON to POST /v1/sidTokens/import/pskc$`,
        ),
      )
    }
  })

  it('no body → 400; a HELP_DESK_ADMIN key → 403', async () => {
    const t = shared()
    const none = await send(t, 'POST', '/v1/sidTokens/import', undefined, undefined)
    expect(none.statusCode).toBe(400)
    expect(none.json().code).toBe('400 BAD_REQUEST')
    const helpDesk = await importXml(t, plainPskc(nextSerial(), seed()), '', t.company.helpDesk)
    expect(helpDesk.statusCode).toBe(403)
    expect(helpDesk.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
  })

  it('is the only route that takes application/pskc+xml; other types get 415 naming both', async () => {
    const t = shared()
    const xml = plainPskc(nextSerial(), seed())
    const userId = await t.createUser()
    for (const [method, path] of [
      ['POST', '/v1/sidTokens/import/pskc'],
      ['POST', '/v1/users/lookup'],
      ['POST', '/v1/users/import'],
      ['PATCH', `/v1/users/${userId}/sidTokens/assign`],
    ] as const) {
      const response = await send(t, method, path, xml, PSKC)
      expect(response.statusCode, `${method} ${path}`).toBe(415)
      expect(response.json().code).toBe('415 UNSUPPORTED_MEDIA_TYPE')
    }
    for (const type of ['application/xml', 'text/xml', 'text/plain']) {
      const response = await send(t, 'POST', '/v1/sidTokens/import', xml, type)
      expect(response.statusCode, type).toBe(415)
      expect(response.json()).toEqual({
        code: '415 UNSUPPORTED_MEDIA_TYPE',
        description: 'Unsupported content type: send application/json or application/pskc+xml.',
      })
    }
  })

  it('the OpenAPI document gives the route both media types', async () => {
    const t = shared()
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const content = doc.paths[`${ADMIN}/v1/sidTokens/import`].post.requestBody.content
    expect(Object.keys(content).sort()).toEqual(['application/json', PSKC])
    expect(content[PSKC].schema).toMatchObject({ type: 'string' })
    expect(content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['tokens'],
    })
  })
})

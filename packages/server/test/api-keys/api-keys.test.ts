import { createPrivateKey } from 'node:crypto'
import type { ApiKeyFile } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import {
  ADMIN,
  ADMIN_URL,
  buildTestApp,
  manualClock,
  signJwt,
  type TestApp,
  UUID_PATTERN,
  useSharedTestApp,
} from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 250) // 2026-11-23T10:00:00.250Z

const createKey = async (t: TestApp, body: unknown, key = t.company.superAdmin) =>
  t.call('POST', '/v1/apikeys', body, key)

/** One request with a given, already signed token. */
const withToken = (t: TestApp, token: string, url = `${ADMIN}/v1/apikeys`) =>
  t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

describe('POST /v1/apikeys', () => {
  it('answers 201 with the key file, and the new key works at once', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const response = await createKey(t, {
      role: 'HELP_DESK_ADMIN',
      description: 'help desk automation',
    })
    expect(response.statusCode).toBe(201)
    const file = response.json() as ApiKeyFile
    expect(Object.keys(file)).toEqual([
      'customerName',
      'accessID',
      'description',
      'accessKey',
      'adminRestApiUrl',
    ])
    expect(file.customerName).toBe('Acme')
    expect(file.accessID).toMatch(UUID_PATTERN)
    expect(file.description).toBe('help desk automation')
    expect(file.adminRestApiUrl).toBe('http://tokendesk.test:8080/AdminInterface/restapi/')
    expect(file.adminRestApiUrl).toBe(ADMIN_URL)
    expect(file.accessKey).toMatch(
      /^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END RSA PRIVATE KEY-----\n$/,
    )
    const privateKey = createPrivateKey(file.accessKey)
    expect(privateKey.asymmetricKeyType).toBe('rsa')
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048)

    // The new key authenticates at once, with its role.
    const userId = await t.createUser()
    const unlock = await t.call(
      'PATCH',
      `/v1/users/${userId}/methods`,
      { unlockMethods: ['SMS'] },
      file,
    )
    expect(unlock.statusCode).toBe(200)
    const forbidden = await t.call('GET', '/v1/apikeys', undefined, file)
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json().code).toBe('403 FORBIDDEN')
  })

  it('creates a SUPER_ADMIN key without a description: null in the key file and the list', async () => {
    const t = await buildTestApp()
    const response = await createKey(t, { role: 'SUPER_ADMIN' })
    expect(response.statusCode).toBe(201)
    const file = response.json() as ApiKeyFile
    // admin-api.md §1: absent string values are null; the key file has all five fields (§2).
    expect(Object.keys(file)).toHaveLength(5)
    expect(file.description).toBeNull()
    const list = await t.call('GET', '/v1/apikeys', undefined, file)
    expect(list.statusCode).toBe(200)
    const listed = (list.json() as Array<Record<string, unknown>>).find(
      (key) => key.accessID === file.accessID,
    )
    expect(listed?.description).toBeNull()
    // An empty description given is kept as given.
    const empty = (await createKey(t, { role: 'SUPER_ADMIN', description: '' })).json()
    expect(empty.description).toBe('')
  })

  it('answers 409 for the 11th active key, and accepts one again after a revocation', async () => {
    const t = await buildTestApp()
    // The company already has 2 keys (SUPER_ADMIN and HELP_DESK_ADMIN): 8 more make 10.
    const created: ApiKeyFile[] = []
    for (let i = 0; i < 8; i += 1) {
      const response = await createKey(t, { role: 'HELP_DESK_ADMIN', description: `key ${i}` })
      expect(response.statusCode).toBe(201)
      created.push(response.json())
    }
    const eleventh = await createKey(t, { role: 'HELP_DESK_ADMIN' })
    expect(eleventh.statusCode).toBe(409)
    expect(eleventh.json()).toEqual({
      code: '409 CONFLICT',
      description: 'The company already has 10 active API keys.',
    })
    expect((await t.call('GET', '/v1/apikeys')).json()).toHaveLength(10)

    const revoked = await t.call('DELETE', `/v1/apikeys/${created[0]?.accessID}`)
    expect(revoked.statusCode).toBe(200)
    expect((await createKey(t, { role: 'HELP_DESK_ADMIN' })).statusCode).toBe(201)
  })
})

describe('GET /v1/apikeys', () => {
  it('lists the company’s keys without key material', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await t.addCompany('Keys Other Co')
    const response = await t.call('GET', '/v1/apikeys')
    expect(response.statusCode).toBe(200)
    const keys = response.json() as Record<string, unknown>[]
    expect(keys).toHaveLength(2)
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual([
        'accessID',
        'createdAt',
        'description',
        'lastUsedAt',
        'revokedAt',
        'role',
      ])
      expect(key.createdAt).toBe('2026-11-23T10:00:00.250Z')
      expect(key.revokedAt).toBeNull()
    }
    expect(keys.map((key) => [key.accessID, key.role]).sort()).toEqual(
      [
        [t.company.superAdmin.accessID, 'SUPER_ADMIN'],
        [t.company.helpDesk.accessID, 'HELP_DESK_ADMIN'],
      ].sort(),
    )
    expect(response.body).not.toContain('accessKey')
    expect(response.body).not.toContain('publicKey')
    expect(response.body).not.toContain('public_key')
    expect(response.body).not.toContain('BEGIN')
  })

  it('records when each key was last used', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const lastUsed = async () =>
      Object.fromEntries(
        ((await t.call('GET', '/v1/apikeys')).json() as Record<string, unknown>[]).map((key) => [
          key.accessID,
          key.lastUsedAt,
        ]),
      )
    // The listing request itself is the super admin's first use.
    expect(await lastUsed()).toEqual({
      [t.company.superAdmin.accessID]: '2026-11-23T10:00:00.250Z',
      [t.company.helpDesk.accessID]: null,
    })
  })
})

describe('DELETE /v1/apikeys/{accessID}', () => {
  it('revokes a key: 200, and its cached token is refused on the very next request', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    const created = (await createKey(t, { role: 'SUPER_ADMIN', description: 'doomed' })).json()
    const token = await signJwt(created, {}, {}, clock.now())
    // The token is verified once, then cached.
    expect((await withToken(t, token)).statusCode).toBe(200)
    expect((await withToken(t, token)).statusCode).toBe(200)

    clock.advance(1_000)
    const response = await t.call('DELETE', `/v1/apikeys/${created.accessID}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      accessID: created.accessID,
      revokedAt: '2026-11-23T10:00:01.250Z',
    })

    const refused = await withToken(t, token)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({
      status: 403,
      error: 'Forbidden',
      path: `${ADMIN}/v1/apikeys`,
    })
    expect(refused.json().message).toContain('Access Id')
    // A freshly signed token of the revoked key is refused too.
    expect((await t.call('GET', '/v1/apikeys', undefined, created)).statusCode).toBe(403)

    const listed = (await t.call('GET', '/v1/apikeys')).json() as Record<string, unknown>[]
    expect(listed.find((key) => key.accessID === created.accessID)?.revokedAt).toBe(
      '2026-11-23T10:00:01.250Z',
    )
  })

  it('answers 200 with the first revocation time when revoking again', async () => {
    const clock = manualClock(NOW)
    const t = await buildTestApp({ clock })
    const created = (await createKey(t, { role: 'HELP_DESK_ADMIN' })).json()
    const first = await t.call('DELETE', `/v1/apikeys/${created.accessID}`)
    clock.advance(5_000)
    const again = await t.call('DELETE', `/v1/apikeys/${created.accessID}`)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual(first.json())
  })

  it('lets a SUPER_ADMIN key revoke itself', async () => {
    const t = await buildTestApp()
    const me = t.company.superAdmin
    const response = await t.call('DELETE', `/v1/apikeys/${me.accessID}`)
    expect(response.statusCode).toBe(200)
    expect((await t.call('GET', '/v1/apikeys')).statusCode).toBe(403)
  })
})

// Refused requests change no key, so these tests share one app.
describe('/v1/apikeys refusals', () => {
  const shared = useSharedTestApp()

  it.each([
    ['an unknown role', { role: 'ROOT' }],
    ['a missing role', { description: 'x' }],
    ['a description over 255 characters', { role: 'SUPER_ADMIN', description: 'x'.repeat(256) }],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const response = await createKey(t, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    expect((await t.call('GET', '/v1/apikeys')).json()).toHaveLength(2)
  })

  it('answers 403 Not authorized to perform the request. to POST by a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await createKey(t, { role: 'SUPER_ADMIN' }, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect((await t.call('GET', '/v1/apikeys')).json()).toHaveLength(2)
  })

  it('answers 403 Not authorized to perform the request. to GET by a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await t.call('GET', '/v1/apikeys', undefined, t.company.helpDesk)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
  })

  it.each([
    ['an unknown accessID', '54082ac6-4713-4368-a251-df813c41159f'],
    ['a malformed accessID', 'not-a-key'],
  ])('answers 404 for %s', async (_label, accessID) => {
    const t = shared()
    const response = await t.call('DELETE', `/v1/apikeys/${accessID}`)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `API key ${accessID} not found`,
    })
  })

  it('answers 404 for a key of another company, and leaves it working', async () => {
    const t = shared()
    const other = await t.addCompany('Revoke Other Co')
    const response = await t.call('DELETE', `/v1/apikeys/${other.helpDesk.accessID}`)
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `API key ${other.helpDesk.accessID} not found`,
    })
    const userId = await t.createUser()
    const stillWorks = await t.call(
      'PATCH',
      `/v1/users/${userId}/methods`,
      { unlockMethods: ['SMS'] },
      other.helpDesk,
    )
    // The key authenticates (404: the user is not in its company), so it was not revoked.
    expect(stillWorks.statusCode).toBe(404)
  })

  it('answers 403 Not authorized to perform the request. to DELETE by a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await t.call(
      'DELETE',
      `/v1/apikeys/${t.company.superAdmin.accessID}`,
      undefined,
      t.company.helpDesk,
    )
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    expect((await t.call('GET', '/v1/apikeys')).statusCode).toBe(200)
  })
})

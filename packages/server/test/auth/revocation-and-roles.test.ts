import type { ApiKeyFile } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createRuntime } from '../../src/runtime.js'
import {
  ADMIN,
  buildTestApp,
  importTokens,
  signJwt,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'

/**
 * admin-api.md §3 (revoking a key takes effect on the next request, on every node) and §4 (roles;
 * the business 403 body), docs/api.md (the role is checked before the body is read).
 */

const FORBIDDEN = { code: '403 FORBIDDEN', description: 'Not authorized to perform the request.' }

const withToken = (
  t: TestApp,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<LightMyRequestResponse> =>
  t.app.inject({
    method,
    url: `${ADMIN}${path}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  })

const expectRevoked = (response: LightMyRequestResponse) => {
  expect(response.statusCode, response.body).toBe(403)
  const body = response.json()
  expect(body).toMatchObject({ status: 403, error: 'Forbidden' })
  expect(body.message).toContain('Access Id')
}

describe('revocation takes effect on the very next request', () => {
  it('a key revoked through DELETE /v1/apikeys/{accessID} is refused, even with a cached token', async () => {
    const t = await buildTestApp()
    await t.createUser('revoke-me@example.com')
    const helpDesk = t.company.helpDesk
    const token = await signJwt(helpDesk)
    const lookup = () =>
      withToken(t, token, 'POST', '/v1/users/lookup', { email: 'revoke-me@example.com' })

    expect((await lookup()).statusCode).toBe(200)
    expect((await lookup()).statusCode).toBe(200) // now served from the verified-token cache

    const revoked = await t.call('DELETE', `/v1/apikeys/${helpDesk.accessID}`)
    expect(revoked.statusCode, revoked.body).toBe(200)
    expect(revoked.json().accessID).toBe(helpDesk.accessID)

    expectRevoked(await lookup())
    expectRevoked(
      await withToken(t, await signJwt(helpDesk), 'POST', '/v1/users/lookup', {
        email: 'revoke-me@example.com',
      }),
    )
    // The other key of the company is untouched.
    expect((await t.call('GET', '/v1/company/settings')).statusCode).toBe(200)

    // Revoking again changes nothing; the key stays listed with its revocation time.
    const again = await t.call('DELETE', `/v1/apikeys/${helpDesk.accessID}`)
    expect(again.statusCode).toBe(200)
    expect(again.json().revokedAt).toBe(revoked.json().revokedAt)
    const list = (await t.call('GET', '/v1/apikeys')).json() as Array<{
      accessID: string
      revokedAt: string | null
    }>
    expect(list.find((key) => key.accessID === helpDesk.accessID)?.revokedAt).toBe(
      revoked.json().revokedAt,
    )
    expectRevoked(await lookup())

    // A key that revokes itself is refused from its next request on.
    const adminToken = await signJwt(t.company.superAdmin)
    const self = await withToken(
      t,
      adminToken,
      'DELETE',
      `/v1/apikeys/${t.company.superAdmin.accessID}`,
    )
    expect(self.statusCode, self.body).toBe(200)
    expectRevoked(await withToken(t, adminToken, 'GET', '/v1/apikeys'))
  })

  it('revoked by another node over the same database, or through the service as the CLI does: refused here at once', async () => {
    const t = await buildTestApp()
    const helpDeskToken = await signJwt(t.company.helpDesk)
    const adminToken = await signJwt(t.company.superAdmin)
    const lookup = () =>
      withToken(t, helpDeskToken, 'POST', '/v1/users/lookup', { email: 'nobody@example.com' })
    expect((await lookup()).statusCode).toBe(404) // authenticated: a business answer
    expect((await withToken(t, adminToken, 'GET', '/v1/apikeys')).statusCode).toBe(200)

    // A second node: its own runtime and app over the same SQLite file.
    const otherRuntime = await createRuntime(t.config)
    const otherApp = await buildApp(otherRuntime, { logger: false })
    try {
      await otherApp.ready()
      const viaOther = await otherApp.inject({
        method: 'DELETE',
        url: `${ADMIN}/v1/apikeys/${t.company.helpDesk.accessID}`,
        headers: { authorization: `Bearer ${adminToken}` },
      })
      expect(viaOther.statusCode, viaOther.body).toBe(200)
    } finally {
      await otherApp.close()
      await otherRuntime.close()
    }
    expectRevoked(await lookup())

    // The CLI revokes through the service.
    await t.runtime.services.apiKeys.revoke(t.cliContext(), t.company.superAdmin.accessID)
    expectRevoked(await withToken(t, adminToken, 'GET', '/v1/apikeys'))
    expectRevoked(await withToken(t, adminToken, 'GET', '/v1/company/settings'))
  })
})

describe('roles (admin-api.md §4)', () => {
  const shared = useSharedTestApp()

  const asHelpDesk = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ) => shared().call(method, path, body, shared().company.helpDesk)

  const superAdminRoutes: Array<[string, 'GET' | 'POST' | 'PUT' | 'DELETE', string, unknown]> = [
    ['read company settings', 'GET', '/v1/company/settings', undefined],
    [
      'change company settings',
      'PUT',
      '/v1/company/settings',
      { lockout: { maxFailedAttempts: 20 } },
    ],
    ['create an API key', 'POST', '/v1/apikeys', { role: 'SUPER_ADMIN' }],
    ['list API keys', 'GET', '/v1/apikeys', undefined],
    ['revoke an API key', 'DELETE', '/v1/apikeys/00000000-0000-4000-8000-000000000000', undefined],
    ['create a user', 'POST', '/v1/users', { emailAddress: 'helpdesk-made@example.com' }],
    [
      'import tokens',
      'POST',
      '/v1/sidTokens/import',
      { tokens: [{ tokenSerialNumber: 'HD-000001', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }] },
    ],
  ]

  it.each(superAdminRoutes)(
    'HELP_DESK_ADMIN may not %s → 403 business body',
    async (_name, method, path, body) => {
      const response = await asHelpDesk(method, path, body)
      expect(response.statusCode, response.body).toBe(403)
      expect(response.json()).toStrictEqual(FORBIDDEN)
    },
  )

  it('the refused calls changed nothing', async () => {
    const t = shared()
    const keys = (await t.call('GET', '/v1/apikeys')).json() as unknown[]
    expect(keys).toHaveLength(2)
    expect(keys.every((key) => (key as { revokedAt: unknown }).revokedAt === null)).toBe(true)
    const lookup = await t.call('POST', '/v1/users/lookup', { email: 'helpdesk-made@example.com' })
    expect(lookup.statusCode).toBe(404)
    const settings = (await t.call('GET', '/v1/company/settings')).json()
    expect(settings.lockout.maxFailedAttempts).toBe(3)
    const assign = await t.call('PATCH', `/v1/users/${await t.createUser()}/sidTokens/assign`, {
      tokenSerialNumber: 'HD-000001',
    })
    expect(assign.statusCode).toBe(404)
  })

  it('the role is checked before the body is read: malformed, foreign or huge bodies are still 403', async () => {
    const t = shared()
    const token = await signJwt(t.company.helpDesk)
    const bodies: Array<[string, string]> = [
      ['application/json', '{"emailAddress":'],
      ['text/plain', 'hello'],
      ['application/json', JSON.stringify({ emailAddress: 'x'.repeat(70 * 1024) })],
    ]
    for (const [contentType, payload] of bodies) {
      const response = await t.app.inject({
        method: 'POST',
        url: `${ADMIN}/v1/users`,
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        payload,
      })
      expect(response.statusCode, response.body).toBe(403)
      expect(response.json()).toStrictEqual(FORBIDDEN)
    }
  })

  it('HELP_DESK_ADMIN may use every help-desk route', async () => {
    const t = shared()
    const userId = await t.createUser('helpdesk-target@example.com')
    await importTokens(t, ['HD-100001'])
    const hd: ApiKeyFile = t.company.helpDesk
    const expectOk = async (
      method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      body: unknown,
    ) => {
      const response = await t.call(method, path, body, hd)
      expect(response.statusCode, `${method} ${path}: ${response.body}`).toBe(200)
      return response
    }
    await expectOk('POST', '/v1/users/lookup', { email: 'helpdesk-target@example.com' })
    const v1 = await expectOk('PUT', `/v1/users/${userId}/emergencyTokencode`, {
      expirationDays: 1,
    })
    await expectOk('PUT', `/v2/users/${userId}/emergencyTokencode`, {})
    await expectOk(
      'DELETE',
      `/v1/users/${userId}/emergencyTokencode/${v1.json().emergencyTokencodeId}`,
      undefined,
    )
    await expectOk('PATCH', `/v1/users/${userId}/methods`, { unlockMethods: ['TOKEN', 'SMS'] })
    await expectOk('PATCH', `/v1/users/${userId}/sidTokens/assign`, {
      tokenSerialNumber: 'HD-100001',
    })
    const enabled = await expectOk('PATCH', `/v1/users/${userId}/sidTokens/enable`, {
      tokenSerialNumber: 'HD-100001',
    })
    expect(enabled.json().tokenStatusChangedBy).toBe(hd.accessID)
    await expectOk('PUT', `/v1/users/${userId}/userStatus`, { userStatus: 'Disabled' })
  })

  it('SUPER_ADMIN may use the help-desk routes too', async () => {
    const t = shared()
    const userId = await t.createUser()
    const response = await t.call('PATCH', `/v1/users/${userId}/methods`, {
      unlockMethods: ['VOICE'],
    })
    expect(response.statusCode).toBe(200)
  })
})

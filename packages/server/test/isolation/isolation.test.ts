import { beforeAll, describe, expect, it } from 'vitest'
import { importTokens, type TestCompany, useSharedTestApp } from '../helpers.js'

/**
 * Nothing crosses companies (admin-api.md §2): an id of another company behaves exactly like
 * one that does not exist.
 */
describe('company isolation', () => {
  const shared = useSharedTestApp()
  const A_EMAIL = 'alice@a.example.com'
  const A_SERIAL = '000111222333'
  let b: TestCompany
  let aUser: string
  let bUser: string

  beforeAll(async () => {
    const t = shared()
    b = await t.addCompany('Beta')
    aUser = await t.createUser(A_EMAIL)
    await importTokens(t, [A_SERIAL])
    const assigned = await t.call('PATCH', `/v1/users/${aUser}/sidTokens/assign`, {
      tokenSerialNumber: A_SERIAL,
    })
    expect(assigned.statusCode).toBe(200)
    const code = await t.call('PUT', `/v1/users/${aUser}/emergencyTokencode`, {})
    expect(code.statusCode).toBe(200)
    const created = await t.call(
      'POST',
      '/v1/users',
      { emailAddress: 'bob@b.example.com' },
      b.superAdmin,
    )
    expect(created.statusCode).toBe(201)
    bUser = created.json().id
  })

  const userRoutes: [string, 'PUT' | 'PATCH' | 'DELETE', (id: string) => string, unknown][] = [
    ['EAC v1', 'PUT', (id) => `/v1/users/${id}/emergencyTokencode`, { expirationDays: '1' }],
    ['EAC v2', 'PUT', (id) => `/v2/users/${id}/emergencyTokencode`, { oneTimeUse: true }],
    [
      'EAC delete',
      'DELETE',
      (id) => `/v1/users/${id}/emergencyTokencode/f10d0514-7dd1-4a13-a30e-236d0e65b56a`,
      undefined,
    ],
    ['unlock', 'PATCH', (id) => `/v1/users/${id}/methods`, { unlockMethods: ['TOKEN'] }],
    ['userStatus', 'PUT', (id) => `/v1/users/${id}/userStatus`, { userStatus: 'Disabled' }],
    [
      'token enable',
      'PATCH',
      (id) => `/v1/users/${id}/sidTokens/enable`,
      { tokenSerialNumber: A_SERIAL },
    ],
    [
      'token assign',
      'PATCH',
      (id) => `/v1/users/${id}/sidTokens/assign`,
      { tokenSerialNumber: A_SERIAL },
    ],
  ]

  it.each(userRoutes)(
    "%s: answers 404 User <id> not found to another company's key",
    async (_label, method, path, body) => {
      const t = shared()
      for (const key of [b.superAdmin, b.helpDesk]) {
        const response = await t.call(method, path(aUser), body, key)
        expect(response.statusCode).toBe(404)
        expect(response.json()).toEqual({
          code: '404 NOT_FOUND',
          description: `User ${aUser} not found`,
        })
      }
    },
  )

  it.each([
    ['enable', 'enable'],
    ['assign', 'assign'],
  ])(
    "token %s: answers 404 Token <serial> not found for another company's serial",
    async (_label, action) => {
      const t = shared()
      const response = await t.call(
        'PATCH',
        `/v1/users/${bUser}/sidTokens/${action}`,
        { tokenSerialNumber: A_SERIAL },
        b.superAdmin,
      )
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({
        code: '404 NOT_FOUND',
        description: `Token ${A_SERIAL} not found`,
      })
    },
  )

  it("lookup: answers 404 User <email> not found for another company's email", async () => {
    const t = shared()
    for (const email of [A_EMAIL, A_EMAIL.toUpperCase()]) {
      const response = await t.call('POST', '/v1/users/lookup', { email }, b.helpDesk)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toEqual({
        code: '404 NOT_FOUND',
        description: `User ${email} not found`,
      })
    }
  })

  it("API keys: B cannot revoke A's key, and does not see it", async () => {
    const t = shared()
    const response = await t.call(
      'DELETE',
      `/v1/apikeys/${t.company.helpDesk.accessID}`,
      undefined,
      b.superAdmin,
    )
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `API key ${t.company.helpDesk.accessID} not found`,
    })
    const listed = await t.call('GET', '/v1/apikeys', undefined, b.superAdmin)
    expect(listed.body).not.toContain(t.company.superAdmin.accessID)
    expect(listed.body).not.toContain(t.company.helpDesk.accessID)
  })

  it("token import: B may import a serial that A holds, without touching A's", async () => {
    const t = shared()
    const response = await t.call(
      'POST',
      '/v1/sidTokens/import?dryRun=true',
      { tokens: [{ tokenSerialNumber: A_SERIAL, secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }] },
      b.superAdmin,
    )
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ imported: 0, wouldImport: 1 })
  })

  it("leaves A's user as it was after all of B's attempts", async () => {
    const t = shared()
    const details = await t.call('POST', '/v1/users/lookup', { email: A_EMAIL })
    expect(details.statusCode).toBe(200)
    expect(details.json()).toMatchObject({
      id: aUser,
      userStatus: 'Enabled',
      emergencyAccessStatus: 'Enabled',
      emergencyTokencodeOneTimeUse: false,
    })
    // A's token is still assigned to A's user and still disabled.
    const again = await t.call('PATCH', `/v1/users/${aUser}/sidTokens/assign`, {
      tokenSerialNumber: A_SERIAL,
    })
    expect(again.json()).toMatchObject({ userId: aUser, tokenStatus: 'Disabled' })
    // A's keys still work.
    expect((await t.call('GET', '/v1/apikeys')).statusCode).toBe(200)
    expect(
      (await t.call('POST', '/v1/users/lookup', { email: A_EMAIL }, t.company.helpDesk)).statusCode,
    ).toBe(200)
  })
})

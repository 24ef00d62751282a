import { describe, expect, it } from 'vitest'
import { importTokens, useSharedTestApp } from '../helpers.js'

/**
 * UUIDs are case-insensitive on input (RFC 9562 §4): an id in a path, in any case, names the
 * same record as its lowercase form (tokendesk issues and stores them lowercase, admin-api.md
 * §1). The emergency code and unlock routes have their own cases (emergency-codes/enable-v1,
 * methods/unlock); here the users, hardware tokens and keys families.
 */
describe('ids in paths, in upper case', () => {
  const shared = useSharedTestApp()

  it('users: userStatus, update and delete name the user', async () => {
    const t = shared()
    const userId = await t.createUser('upper-case-id@example.com')
    const upper = userId.toUpperCase()
    const status = await t.call('PUT', `/v1/users/${upper}/userStatus`, { userStatus: 'Disabled' })
    expect(status.statusCode, status.body).toBe(200)
    expect(status.json()).toMatchObject({ id: userId, userStatus: 'Disabled' })
    const updated = await t.call('PATCH', `/v1/users/${upper}`, { firstName: 'Upper' })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json()).toMatchObject({ id: userId, firstName: 'Upper' })
    const deleted = await t.call('DELETE', `/v1/users/${upper}`)
    expect(deleted.statusCode, deleted.body).toBe(200)
    expect(deleted.json().userId).toBe(userId)
    expect(
      (await t.call('PUT', `/v1/users/${userId}/userStatus`, { userStatus: 'Enabled' })).statusCode,
    ).toBe(404)
  })

  it('hardware tokens: assign, enable and devices name the user', async () => {
    const t = shared()
    const userId = await t.createUser()
    const upper = userId.toUpperCase()
    await importTokens(t, ['ID-CASE-1'])
    const assigned = await t.call('PATCH', `/v1/users/${upper}/sidTokens/assign`, {
      tokenSerialNumber: 'ID-CASE-1',
    })
    expect(assigned.statusCode, assigned.body).toBe(200)
    expect(assigned.json().userId).toBe(userId)
    const enabled = await t.call('PATCH', `/v1/users/${upper}/sidTokens/enable`, {
      tokenSerialNumber: 'ID-CASE-1',
    })
    expect(enabled.statusCode, enabled.body).toBe(200)
    expect(enabled.json()).toMatchObject({ userId, tokenStatus: 'Enabled' })
    const devices = await t.call('GET', `/v2/users/${upper}/devices`)
    expect(devices.statusCode).toBe(200)
    expect(devices.json().sidTokens).toMatchObject([{ userId, tokenSerialNumber: 'ID-CASE-1' }])
  })

  it('keys: an API key and an agent key are revoked by their ids in upper case', async () => {
    const t = shared()
    const apiKey = (await t.call('POST', '/v1/apikeys', { role: 'HELP_DESK_ADMIN' })).json()
    const revoked = await t.call('DELETE', `/v1/apikeys/${apiKey.accessID.toUpperCase()}`)
    expect(revoked.statusCode, revoked.body).toBe(200)
    expect(revoked.json().accessID).toBe(apiKey.accessID)
    const agentKey = (await t.call('POST', '/v1/agentkeys', {})).json()
    const agentRevoked = await t.call(
      'DELETE',
      `/v1/agentkeys/${agentKey.clientKeyId.toUpperCase()}`,
    )
    expect(agentRevoked.statusCode, agentRevoked.body).toBe(200)
    expect(agentRevoked.json().clientKeyId).toBe(agentKey.clientKeyId)
  })
})

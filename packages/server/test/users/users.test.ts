import { describe, expect, it } from 'vitest'
import { UserDetailsResponse } from '../../src/schemas.js'
import { manualClock, type TestApp, UUID_PATTERN, useSharedTestApp } from '../helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 7) // 2026-11-23T10:00:00.007Z
const USER_DETAILS_KEYS = Object.keys(UserDetailsResponse.properties).sort()

const create = (t: TestApp, body: unknown, key = t.company.superAdmin) =>
  t.call('POST', '/v1/users', body, key)

const setStatus = (t: TestApp, userId: string, body: unknown, key = t.company.superAdmin) =>
  t.call('PUT', `/v1/users/${userId}/userStatus`, body, key)

describe('POST /v1/users', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('answers 201 with the whole User Details object', async () => {
    const t = shared()
    const response = await create(t, {
      emailAddress: 'Jane.Doe@Example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      smsNumber: '+15550100',
      voiceNumber: '+15550101',
    })
    expect(response.statusCode).toBe(201)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(USER_DETAILS_KEYS)
    expect(USER_DETAILS_KEYS).toHaveLength(35)
    expect(body.id).toMatch(UUID_PATTERN)
    expect(body).toEqual({
      id: body.id,
      emailAddress: 'Jane.Doe@Example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      creationDate: '2026-11-23T10:00:00.007Z',
      identitySource: null,
      userStatus: 'Enabled',
      highRiskUser: false,
      markDeleted: false,
      markDeletedAt: null,
      markDeletedBy: null,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
      isFingerprintLocked: false,
      isApproveLocked: false,
      lastSyncTime: null,
      emergencyAccessStatus: 'Disabled',
      emergencyTokencodeId: null,
      emergencyTokencodeExpiration: null,
      emergencyTokencodeLastUse: null,
      emergencyTokencodeOneTimeUse: null,
      offlineEmergencyTokencodeExpiration: null,
      offlineEmergencyAccessStatus: 'Disabled',
      monthLastAuthenticated: null,
      lastSuccessfulAuthenticationMethod: null,
      lastSuccessfulAuthenticationDate: null,
      principalUsername: 'Jane.Doe@Example.com',
      alternateUsername: null,
      primaryUniqueIdentifier: body.id,
      secondaryUniqueIdentifier: null,
      smsNumber: '+15550100',
      voiceNumber: '+15550101',
      identitySourceSpecificGroups: [],
      globalGroups: [],
    })
  })

  it('answers null for the names and numbers not given, and takes userStatus', async () => {
    const t = shared()
    const response = await create(t, {
      emailAddress: 'minimal@example.com',
      userStatus: 'Disabled',
    })
    expect(response.statusCode).toBe(201)
    expect(response.json()).toMatchObject({
      firstName: null,
      lastName: null,
      smsNumber: null,
      voiceNumber: null,
      userStatus: 'Disabled',
    })
  })

  it('answers 409 for an email that exists in the company, whatever its case', async () => {
    const t = shared()
    expect((await create(t, { emailAddress: 'dup@example.com' })).statusCode).toBe(201)
    for (const emailAddress of ['dup@example.com', 'DUP@Example.COM']) {
      const response = await create(t, { emailAddress })
      expect(response.statusCode).toBe(409)
      expect(response.json()).toEqual({
        code: '409 CONFLICT',
        description: `User ${emailAddress} already exists`,
      })
    }
  })

  it('allows the same email in another company', async () => {
    const t = shared()
    const other = await t.addCompany('Users Other Co')
    expect((await create(t, { emailAddress: 'shared@example.com' })).statusCode).toBe(201)
    const response = await create(t, { emailAddress: 'shared@example.com' }, other.superAdmin)
    expect(response.statusCode).toBe(201)
  })

  it.each([
    ['no @', 'not-an-email'],
    ['a space', 'jane doe@example.com'],
    ['nothing before @', '@example.com'],
  ])('answers 400 Invalid email address. for an email with %s', async (_label, emailAddress) => {
    const t = shared()
    const response = await create(t, { emailAddress })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Invalid email address.',
    })
  })

  it.each([
    ['a missing email', { firstName: 'Jane' }],
    ['a numeric email', { emailAddress: 42 }],
    ['a lower-case status', { emailAddress: 'status@example.com', userStatus: 'enabled' }],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const response = await create(t, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const response = await create(t, { emailAddress: 'extra@example.com', admin: true })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
    const lookup = await t.call('POST', '/v1/users/lookup', { email: 'extra@example.com' })
    expect(lookup.statusCode).toBe(404)
  })

  it('answers 403 Not authorized to perform the request. to a HELP_DESK_ADMIN key', async () => {
    const t = shared()
    const response = await create(
      t,
      { emailAddress: 'helpdesk-made@example.com' },
      t.company.helpDesk,
    )
    expect(response.statusCode).toBe(403)
    expect(response.json()).toEqual({
      code: '403 FORBIDDEN',
      description: 'Not authorized to perform the request.',
    })
    const lookup = await t.call('POST', '/v1/users/lookup', { email: 'helpdesk-made@example.com' })
    expect(lookup.statusCode).toBe(404)
  })
})

describe('POST /v1/users/lookup', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('finds a user case-insensitively and answers User Details', async () => {
    const t = shared()
    const id = await t.createUser('Lookup.Me@Example.com')
    for (const email of [
      'Lookup.Me@Example.com',
      'lookup.me@example.com',
      'LOOKUP.ME@EXAMPLE.COM',
    ]) {
      const response = await t.call('POST', '/v1/users/lookup', { email }, t.company.helpDesk)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(Object.keys(body).sort()).toEqual(USER_DETAILS_KEYS)
      expect(body.id).toBe(id)
      expect(body.emailAddress).toBe('Lookup.Me@Example.com')
    }
  })

  it('accepts searchUnsynched', async () => {
    const t = shared()
    const id = await t.createUser('unsynched@example.com')
    const response = await t.call('POST', '/v1/users/lookup', {
      email: 'unsynched@example.com',
      searchUnsynched: true,
    })
    expect(response.statusCode).toBe(200)
    expect(response.json().id).toBe(id)
  })

  it('answers 404 User <email> not found for an unknown email', async () => {
    const t = shared()
    const response = await t.call('POST', '/v1/users/lookup', { email: 'nobody@example.com' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: 'User nobody@example.com not found',
    })
  })

  it.each([
    ['a missing email', {}],
    ['an empty email', { email: '' }],
    ['a numeric email', { email: 1 }],
    ['a string searchUnsynched', { email: 'a@example.com', searchUnsynched: 'yes' }],
  ])('answers 400 for %s', async (_label, body) => {
    const t = shared()
    const response = await t.call('POST', '/v1/users/lookup', body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const response = await t.call('POST', '/v1/users/lookup', { email: 'a@example.com', x: 1 })
    expect(response.statusCode).toBe(400)
    expect(response.json().description).toBe('Wrong number of properties in the request body.')
  })
})

describe('PUT /v1/users/{id}/userStatus', () => {
  const shared = useSharedTestApp({ clock: manualClock(NOW) })

  it('disables and enables a user, answering User Details after the change', async () => {
    const t = shared()
    const id = await t.createUser('status@example.com')
    const disabled = await setStatus(t, id, { userStatus: 'Disabled' }, t.company.helpDesk)
    expect(disabled.statusCode).toBe(200)
    expect(Object.keys(disabled.json()).sort()).toEqual(USER_DETAILS_KEYS)
    expect(disabled.json()).toMatchObject({ id, userStatus: 'Disabled' })
    const lookup = await t.call('POST', '/v1/users/lookup', { email: 'status@example.com' })
    expect(lookup.json().userStatus).toBe('Disabled')

    // Setting the same status again is 200 too.
    const again = await setStatus(t, id, { userStatus: 'Disabled' })
    expect(again.statusCode).toBe(200)
    expect(again.json().userStatus).toBe('Disabled')

    const enabled = await setStatus(t, id, { userStatus: 'Enabled' })
    expect(enabled.statusCode).toBe(200)
    expect(enabled.json()).toMatchObject({ id, userStatus: 'Enabled' })
  })

  it.each([
    ['"disabled"', { userStatus: 'disabled' }],
    ['"DISABLED"', { userStatus: 'DISABLED' }],
    ['a boolean', { userStatus: false }],
    ['a missing status', {}],
  ])('answers 400 for %s and changes nothing', async (_label, body) => {
    const t = shared()
    const id = await t.createUser()
    const response = await setStatus(t, id, body)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('400 BAD_REQUEST')
    const still = await setStatus(t, id, { userStatus: 'Enabled' })
    expect(still.json().userStatus).toBe('Enabled')
  })

  it('answers 400 Wrong number of properties in the request body. for an extra property', async () => {
    const t = shared()
    const id = await t.createUser()
    const response = await setStatus(t, id, { userStatus: 'Disabled', reason: 'left' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({
      code: '400 BAD_REQUEST',
      description: 'Wrong number of properties in the request body.',
    })
  })

  it.each([
    ['an unknown uuid', '54082ac6-4713-4368-a251-df813c41159f'],
    ['a malformed id', 'not-a-uuid'],
  ])('answers 404 User <id> not found for %s', async (_label, userId) => {
    const t = shared()
    const response = await setStatus(t, userId, { userStatus: 'Disabled' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      code: '404 NOT_FOUND',
      description: `User ${userId} not found`,
    })
  })
})

import { describe, expect, it } from 'vitest'
import { ADMIN, signJwt, type TestApp, useSharedTestApp } from '../helpers.js'

/**
 * admin-api.md §9: `POST /v1/users/{userId}/authenticators/totp` takes "no body, or `{}`"; §1:
 * bodies are strict. Anything else is the 400 every strict route gives (unknown property, wrong
 * type), and registers nothing.
 */

const raw = async (t: TestApp, path: string, payload?: string) =>
  t.app.inject({
    method: 'POST',
    url: `${ADMIN}${path}`,
    headers: {
      authorization: `Bearer ${await signJwt(t.company.superAdmin, {}, {}, t.runtime.clock.now())}`,
      ...(payload !== undefined && { 'content-type': 'application/json' }),
    },
    ...(payload !== undefined && { payload }),
  })

const registrations = async (t: TestApp, userId: string): Promise<number> => {
  const response = await t.call('GET', '/v1/adminlog/exportlogs')
  return (response.json().elements as Array<Record<string, unknown>>).filter(
    (entry) =>
      entry.activityKey === 'REGISTER_AUTHENTICATE_OTP' && entry.targetObject1Name === userId,
  ).length
}

describe('POST /v1/users/{id}/authenticators/totp: the body', () => {
  const shared = useSharedTestApp()

  it.each([
    ['no body', undefined],
    ['an empty body', ''],
    ['{}', '{}'],
  ])('%s → 201', async (_label, payload) => {
    const t = shared()
    const userId = await t.createUser()
    const response = await raw(t, `/v1/users/${userId}/authenticators/totp`, payload)
    expect(response.statusCode, response.body).toBe(201)
    expect(Object.keys(response.json()).sort()).toEqual([
      'algorithm',
      'digits',
      'otpauthUri',
      'period',
      'secret',
    ])
    expect(await registrations(t, userId)).toBe(1)
  })

  it.each([
    ['an unknown property', '{"x":1}', 'Wrong number of properties in the request body.'],
    ['an array', '[1,2]', 'Invalid request: body must be object.'],
    ['null', 'null', 'Invalid request: body must be object.'],
    ['a string', '"x"', 'Invalid request: body must be object.'],
    ['a number', '5', 'Invalid request: body must be object.'],
  ])(
    '%s → 400 as on every strict route, and nothing is registered',
    async (_label, payload, description) => {
      const t = shared()
      const userId = await t.createUser()
      const response = await raw(t, `/v1/users/${userId}/authenticators/totp`, payload)
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({ code: '400 BAD_REQUEST', description })
      // The same body on another route whose body is optional and strict: the same answer.
      expect((await raw(t, '/v1/agentkeys', payload)).json()).toEqual(response.json())
      expect(await registrations(t, userId)).toBe(0)
    },
  )
})

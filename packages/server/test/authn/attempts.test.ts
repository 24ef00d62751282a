import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock } from '../helpers.js'
import {
  Agent,
  agentKey,
  challengeIds,
  expectFullShape,
  firstMethod,
  mfa,
  registerTotp,
  totpNow,
} from './authn-helpers.js'

const setup = async () => {
  const clock = manualClock(Date.UTC(2026, 10, 30, 9, 0, 10))
  const t = await buildTestApp({ clock })
  const key = await agentKey(t)
  const userId = await t.createUser('alice@example.com')
  const seed = await registerTotp(t, userId)
  return { t, clock, key, userId, seed }
}

describe('attempts: initialize, verify, the context chain', () => {
  it('challenges with every usable method, then verifies TOTP: SUCCESS / CREDENTIAL_VERIFIED', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    const first = await agent.initialize('ALICE@example.com')
    expect(first).toMatchObject({
      attemptResponseCode: 'CHALLENGE',
      attemptReasonCode: 'AUTHENTICATION_REQUIRED',
      credentialValidationResults: [],
    })
    expect(challengeIds(first)).toEqual(['TOKEN'])
    expect(firstMethod(first)).toMatchObject({
      displayName: 'Authenticate Tokencode',
      priority: 1,
    })
    const done = await agent.verify('TOKEN', totpNow(seed, clock.now()))
    expect(done).toMatchObject({
      attemptResponseCode: 'SUCCESS',
      attemptReasonCode: 'CREDENTIAL_VERIFIED',
      credentialValidationResults: [
        {
          methodId: 'TOKEN',
          methodResponseCode: 'SUCCESS',
          methodReasonCode: 'CREDENTIAL_VERIFIED',
          authnAttributes: [],
        },
      ],
      challengeMethods: { challenges: [] },
    })
    expect(done.context.authnAttemptId).toBe(first.context.authnAttemptId)
    expect(done.context.messageId).not.toBe(first.context.messageId)
  })

  it('answers ERROR for an unknown attempt, an out-of-sequence inResponseTo, and an expired attempt', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com')
    const good = agent.lastServerMessageId
    agent.lastServerMessageId = 'stale'
    const stale = await agent.verify('TOKEN', totpNow(seed, clock.now()))
    expect(stale).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'OUT_OF_SEQUENCE',
    })
    // The right inResponseTo still works: a stale request does not move the chain.
    agent.lastServerMessageId = good
    expect((await agent.verify('TOKEN', totpNow(seed, clock.now()))).attemptResponseCode).toBe(
      'SUCCESS',
    )

    const unknown = new Agent(t, key)
    unknown.attemptId = randomUUID()
    unknown.lastServerMessageId = 'x'
    expect(await unknown.verify('TOKEN', '123456')).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
    })

    const late = new Agent(t, key)
    await late.initialize('alice@example.com', { authnAttemptTimeout: 60 })
    clock.advance(61_000)
    expect(await late.verify('TOKEN', totpNow(seed, clock.now()))).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
    })
  })

  it('slides the timeout after each call and clamps it to 600 s', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com', { authnAttemptTimeout: 100_000, keepAttempt: true })
    const status = await mfa(t, key, '/authn/status', {
      authnAttemptId: agent.attemptId,
      removeAttemptId: false,
    })
    expect(Date.parse(status.json().attemptExpires) - clock.now()).toBe(600_000)
    clock.advance(599_000)
    // Still open; a wrong inResponseTo answers ERROR but the attempt lives on.
    const stillThere = await mfa(t, key, '/authn/status', {
      authnAttemptId: agent.attemptId,
      removeAttemptId: false,
    })
    expect(stillThere.json().attemptResponseCode).toBe('CHALLENGE')
    expect((await agent.verify('TOKEN', totpNow(seed, clock.now()))).attemptResponseCode).toBe(
      'SUCCESS',
    )
  })

  it('status reports kept attempts, once by default; cancel ends an attempt with FAIL / CANCELLED', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com', { keepAttempt: true })
    await agent.verify('TOKEN', totpNow(seed, clock.now()))
    const status = await mfa(t, key, '/authn/status', { authnAttemptId: agent.attemptId })
    expect(status.statusCode).toBe(200)
    expect(status.json()).toEqual({
      attemptResponseCode: 'SUCCESS',
      attemptReasonCode: 'CREDENTIAL_VERIFIED',
      subjectName: 'alice@example.com',
      authnPolicyId: null,
      sessionAttributes: [],
      successfulMethods: ['TOKEN'],
      attemptExpires: expect.any(String),
    })
    const gone = await mfa(t, key, '/authn/status', { authnAttemptId: agent.attemptId })
    expect(gone.json()).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
    })

    const second = new Agent(t, key)
    await second.initialize('alice@example.com')
    const cancelled = await mfa(t, key, '/authn/cancel', {
      authnAttemptId: second.attemptId,
      reason: 'USER_ACTION',
      removeAttemptId: true,
    })
    expect(cancelled.statusCode).toBe(200)
    const body = cancelled.json()
    expectFullShape(body)
    expect(body).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'CANCELLED',
      context: { authnAttemptId: second.attemptId, inResponseTo: '' },
    })
    expect(await second.verify('TOKEN', totpNow(seed, clock.now()))).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
    })
  })

  it('a verify without a credential is refused and keeps the chain: the same call with one goes on', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com')
    const empty = await mfa(t, key, '/authn/verify', {
      subjectCredentials: [],
      context: {
        authnAttemptId: agent.attemptId,
        messageId: 'm-empty',
        inResponseTo: agent.lastServerMessageId,
      },
    })
    expect(empty.json()).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'INVALID_REQUEST',
    })
    expect((await agent.verify('TOKEN', totpNow(seed, clock.now()))).attemptResponseCode).toBe(
      'SUCCESS',
    )
  })

  it('cancel of an attempt that is over (kept) leaves its outcome, audits nothing, and answers ERROR', async () => {
    const { t, clock, key, seed } = await setup()
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com', { keepAttempt: true })
    await agent.verify('TOKEN', totpNow(seed, clock.now()))
    const before = (await t.runtime.store.read.audit.list(t.company.id)).length
    const cancel = await mfa(t, key, '/authn/cancel', {
      authnAttemptId: agent.attemptId,
      reason: 'USER_ACTION',
      removeAttemptId: false,
    })
    expect(cancel.json()).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'AUTHN_ATTEMPT_NOT_FOUND',
      context: { authnAttemptId: agent.attemptId, inResponseTo: '' },
    })
    expect((await t.runtime.store.read.audit.list(t.company.id)).length).toBe(before)
    const status = await mfa(t, key, '/authn/status', {
      authnAttemptId: agent.attemptId,
      removeAttemptId: false,
    })
    expect(status.json()).toMatchObject({
      attemptResponseCode: 'SUCCESS',
      successfulMethods: ['TOKEN'],
    })
    // removeAttemptId still removes it.
    await mfa(t, key, '/authn/cancel', { authnAttemptId: agent.attemptId, removeAttemptId: true })
    const gone = await mfa(t, key, '/authn/status', { authnAttemptId: agent.attemptId })
    expect(gone.json().attemptReasonCode).toBe('AUTHN_ATTEMPT_NOT_FOUND')
  })

  it('initialize on one node, verify on another: attempts live in the database', async () => {
    const { t, clock, key, seed } = await setup()
    const { buildApp } = await import('../../src/app.js')
    const other = await buildApp(t.runtime, { logger: false })
    try {
      const agent = new Agent(t, key)
      await agent.initialize('alice@example.com')
      const response = await other.inject({
        method: 'POST',
        url: '/mfa/v1_1/authn/verify',
        headers: { 'client-key': key, 'content-type': 'application/json' },
        payload: JSON.stringify({
          subjectCredentials: [
            {
              methodId: 'TOKEN',
              collectedInputs: [{ name: 'TOKEN', value: totpNow(seed, clock.now()) }],
            },
          ],
          context: {
            authnAttemptId: agent.attemptId,
            messageId: 'm2',
            inResponseTo: agent.lastServerMessageId,
          },
        }),
      })
      expect(response.json().attemptResponseCode).toBe('SUCCESS')
    } finally {
      await other.close()
    }
  })

  it('unknown and disabled users FAIL with USER_NOT_FOUND / USER_DISABLED; no method: NO_METHOD_AVAILABLE', async () => {
    const { t, key, userId } = await setup()
    expect(await new Agent(t, key).initialize('nobody@example.com')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'USER_NOT_FOUND',
    })
    const bare = await t.createUser('bare@example.com')
    expect(bare).toBeTruthy()
    expect(await new Agent(t, key).initialize('bare@example.com')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'NO_METHOD_AVAILABLE',
    })
    // Single-step too: the credential names a method the user does not have.
    const credentials = [{ methodId: 'TOKEN', collectedInputs: [{ name: 'TOKEN', value: '1' }] }]
    expect(
      await new Agent(t, key).initialize('bare@example.com', { subjectCredentials: credentials }),
    ).toMatchObject({ attemptResponseCode: 'FAIL', attemptReasonCode: 'NO_METHOD_AVAILABLE' })
    // By user id too, in any case (UUIDs are case-insensitive).
    expect((await new Agent(t, key).initialize(userId)).attemptResponseCode).toBe('CHALLENGE')
    const upper = await new Agent(t, key).initialize(userId.toUpperCase())
    expect(upper.attemptResponseCode).toBe('CHALLENGE')
    const disabled = await t.call('PUT', `/v1/users/${userId}/userStatus`, {
      userStatus: 'Disabled',
    })
    expect(disabled.statusCode).toBe(200)
    expect(await new Agent(t, key).initialize('alice@example.com')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'USER_DISABLED',
    })
  })

  it('GET /authn/resources lists the prompt texts as name/value pairs', async () => {
    const { t, key } = await setup()
    const all = await mfa(t, key, '/authn/resources?lang=us_EN')
    expect(all.statusCode).toBe(200)
    expect(all.json()).toContainEqual({
      name: 'PROMPT.SID.NEXT_TOKENCODE',
      value: expect.any(String),
    })
    const one = await mfa(
      t,
      key,
      '/authn/resources?lang=en_US&resourceId=PROMPT.SID.NEXT_TOKENCODE',
    )
    expect(one.json()).toHaveLength(1)
  })
})

describe('bad input: documented answers, never 5xx', () => {
  it.each([
    ['a JSON array', []],
    ['a string', 'hello'],
    ['no subjectName', { context: { messageId: 'm' } }],
    ['no context', { subjectName: 'alice@example.com' }],
    ['a numeric subjectName', { subjectName: 42, context: { messageId: 'm' } }],
    ['an empty subjectName', { subjectName: '', context: { messageId: 'm' } }],
  ])('initialize with %s: 200 ERROR / INVALID_REQUEST', async (_name, body) => {
    const { t, key } = await setup()
    const response = await mfa(t, key, '/authn/initialize', JSON.stringify(body))
    expect(response.statusCode).toBe(200)
    expectFullShape(response.json())
    expect(response.json()).toMatchObject({
      attemptResponseCode: 'ERROR',
      attemptReasonCode: 'INVALID_REQUEST',
    })
  })

  it('garbage method ids, huge values and junk types FAIL the attempt, never 5xx', async () => {
    const { t, key, seed, clock } = await setup()
    for (const methodId of ['NOPE', '', 'A'.repeat(10_000), 'SECURID_NEWPIN', 'APPROVE']) {
      const agent = new Agent(t, key)
      await agent.initialize('alice@example.com')
      const answer = await agent.verify(methodId, '123456')
      expect(answer.attemptResponseCode).toBe('FAIL')
      expect(answer.attemptReasonCode).toBe('METHOD_NOT_AVAILABLE')
    }
    const agent = new Agent(t, key)
    await agent.initialize('alice@example.com')
    const huge = await agent.verify('TOKEN', '9'.repeat(50_000))
    expect(huge).toMatchObject({ attemptResponseCode: 'FAIL', attemptReasonCode: 'VERIFY_ERROR' })
    const tooBig = await mfa(t, key, '/authn/verify', { junk: 'x'.repeat(70 * 1024) })
    expect(tooBig.statusCode).toBe(413)
    for (const junk of [
      {
        subjectCredentials: 'x',
        context: { messageId: 'm', authnAttemptId: 5, inResponseTo: null },
      },
      {
        subjectCredentials: [
          { methodId: 'TOKEN', collectedInputs: [{ name: 'TOKEN', value: { a: 1 } }] },
        ],
        context: { messageId: 'm' },
      },
      {
        subjectCredentials: [null, 1, { methodId: 7 }],
        context: { messageId: 'm', authnAttemptId: 'x'.repeat(5000) },
      },
    ]) {
      const response = await mfa(t, key, '/authn/verify', junk)
      expect(response.statusCode).toBe(200)
      expect(response.json().attemptResponseCode).toBe('ERROR')
    }
    for (const path of ['/authn/status', '/authn/cancel']) {
      for (const body of [{}, { authnAttemptId: 12 }, { authnAttemptId: 'x'.repeat(9000) }, []]) {
        const response = await mfa(t, key, path, body)
        expect(response.statusCode).toBe(200)
        expect(response.json().attemptResponseCode).toBe('ERROR')
      }
    }
    // Garbage method ids count against nothing: after the one huge value (one failure), the
    // right code still works.
    const after = new Agent(t, key)
    await after.initialize('alice@example.com')
    expect((await after.verify('TOKEN', totpNow(seed, clock.now()))).attemptResponseCode).toBe(
      'SUCCESS',
    )
  })
})

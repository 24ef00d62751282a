import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from '../helpers.js'
import {
  Agent,
  agentKey,
  challengeIds,
  hardwareToken,
  lastOutboxCode,
  registerTotp,
  tokencode,
  totpNow,
  wrongTokencode,
  wrongTotp,
} from './authn-helpers.js'

const START = Date.UTC(2026, 10, 30, 9, 0, 10)

const userDetails = async (t: TestApp, email: string) => {
  const response = await t.call('POST', '/v1/users/lookup', { email })
  expect(response.statusCode).toBe(200)
  return response.json()
}

const unlock = async (t: TestApp, userId: string, methods: string[]) => {
  const response = await t.call(
    'PATCH',
    `/v1/users/${userId}/methods`,
    { unlockMethods: methods },
    t.company.helpDesk,
  )
  expect(response.statusCode).toBe(200)
  return response.json()
}

interface Scenario {
  method: 'TOKEN' | 'SMS' | 'VOICE' | 'EMERGENCY_TOKENCODE' | 'SECURID'
  flag?: 'isTokenLocked' | 'isSmsLocked' | 'isVoiceLocked'
}

describe.each<Scenario>([
  { method: 'TOKEN', flag: 'isTokenLocked' },
  { method: 'SMS', flag: 'isSmsLocked' },
  { method: 'VOICE', flag: 'isVoiceLocked' },
  { method: 'EMERGENCY_TOKENCODE' },
  { method: 'SECURID' },
])('lockout of $method', ({ method, flag }) => {
  it('3 counted failures lock it (each SMS/voice send counts); the right code then FAILs METHOD_LOCKED; unlock; the right code works', async () => {
    const clock = manualClock(START)
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const email = 'lock@example.com'
    const userId = await t.createUser(email, { smsNumber: '+15550100', voiceNumber: '+15550101' })
    // Each method alone (SMS and VOICE come with the phone numbers): force it with authMethodId.
    let right: () => Promise<string>
    let wrong: () => string
    const prepare = async (agent: Agent) => {
      if (method === 'SMS' || method === 'VOICE') {
        const sent = await agent.verify(method)
        expect(sent).toMatchObject({
          attemptResponseCode: 'CHALLENGE',
          credentialValidationResults: [
            { methodId: method, methodResponseCode: 'CHALLENGE', methodReasonCode: 'CODE_SENT' },
          ],
        })
      }
    }
    if (method === 'TOKEN') {
      const seed = await registerTotp(t, userId)
      right = async () => totpNow(seed, clock.now())
      wrong = () => wrongTotp(seed, clock.now())
    } else if (method === 'SMS' || method === 'VOICE') {
      right = async () => lastOutboxCode(t)
      wrong = () => (lastOutboxCode(t) === '000000' ? '111111' : '000000')
    } else if (method === 'EMERGENCY_TOKENCODE') {
      const eac = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
      const code = eac.json().emergencyTokencode as string
      right = async () => code
      wrong = () => 'ZZZZZZZZ'
    } else {
      const seed = await hardwareToken(t, userId, '000123')
      right = async () => {
        clock.advance(60_000) // a fresh step: a tokencode is never accepted twice
        return tokencode(seed, clock.now())
      }
      wrong = () => wrongTokencode(seed, clock.now())
    }
    const attempt = async () => {
      const agent = new Agent(t, key)
      const first = await agent.initialize(email, { authMethodId: method })
      return { agent, first }
    }

    const wrongValue = async () => {
      const { agent, first } = await attempt()
      expect(challengeIds(first)).toEqual([method])
      await prepare(agent)
      expect(await agent.verify(method, wrong())).toMatchObject({
        attemptResponseCode: 'FAIL',
        attemptReasonCode: 'VERIFY_ERROR',
      })
    }
    if (method === 'SMS' || method === 'VOICE') {
      // Each send counts as a retry (authn-api.md): send (1), wrong value (2), send (3), wrong
      // value (4, past 3: locked). (A send refused once the count is used up: methods.test.ts.)
      await wrongValue()
      await wrongValue()
    } else {
      for (let i = 1; i <= 3; i++) await wrongValue()
    }
    if (flag) expect((await userDetails(t, email))[flag]).toBe(true)

    // Locked: not offered, and the right value FAILs with METHOD_LOCKED, whether offered or forced.
    const locked = new Agent(t, key)
    const refused = await locked.initialize(email, { authMethodId: method })
    expect(refused).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'METHOD_LOCKED',
    })
    const singleStep = await new Agent(t, key).initialize(email, {
      subjectCredentials: [
        { methodId: method, collectedInputs: [{ name: method, value: await right() }] },
      ],
    })
    expect(singleStep).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'METHOD_LOCKED',
      credentialValidationResults: [
        { methodId: method, methodResponseCode: 'FAIL', methodReasonCode: 'METHOD_LOCKED' },
      ],
    })

    const state = await unlock(t, userId, [method])
    if (flag) expect(state[flag]).toBe(false)
    const { agent } = await attempt()
    await prepare(agent)
    let answer = await agent.verify(method, await right())
    if (method === 'SECURID') {
      // The token has no PIN yet: the right tokencode leads to new-PIN mode, then PIN + next code.
      expect(answer).toMatchObject({
        attemptResponseCode: 'CHALLENGE',
        credentialValidationResults: [{ methodId: 'SECURID', methodResponseCode: 'SUCCESS' }],
      })
      expect(challengeIds(answer)).toEqual(['SECURID_NEWPIN'])
      expect(challengeIds(await agent.verify('SECURID_NEWPIN', '4711'))).toEqual(['SECURID'])
      answer = await agent.verify('SECURID', `4711${await right()}`)
    }
    expect(answer).toMatchObject({
      attemptResponseCode: 'SUCCESS',
      attemptReasonCode: 'CREDENTIAL_VERIFIED',
    })
  })
})

describe('lockout details', () => {
  it('a success resets the count; autoUnlockAfterMinutes unlocks by itself', async () => {
    const clock = manualClock(START)
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const userId = await t.createUser('auto@example.com')
    const seed = await registerTotp(t, userId)
    const settings = await t.call('PUT', '/v1/company/settings', {
      lockout: { maxFailedAttempts: 2, autoUnlockAfterMinutes: 5 },
    })
    expect(settings.statusCode).toBe(200)
    const tryCode = async (code: string) => {
      const agent = new Agent(t, key)
      const first = await agent.initialize('auto@example.com', { authMethodId: 'TOKEN' })
      if (first.attemptResponseCode !== 'CHALLENGE') return first.attemptReasonCode as string
      return (await agent.verify('TOKEN', code)).attemptReasonCode as string
    }
    expect(await tryCode(wrongTotp(seed, clock.now()))).toBe('VERIFY_ERROR')
    expect(await tryCode(totpNow(seed, clock.now()))).toBe('CREDENTIAL_VERIFIED')
    expect(await tryCode(wrongTotp(seed, clock.now()))).toBe('VERIFY_ERROR')
    clock.advance(30_000)
    expect(await tryCode(totpNow(seed, clock.now()))).toBe('CREDENTIAL_VERIFIED')
    expect(await tryCode(wrongTotp(seed, clock.now()))).toBe('VERIFY_ERROR')
    expect(await tryCode(wrongTotp(seed, clock.now()))).toBe('VERIFY_ERROR')
    expect((await userDetails(t, 'auto@example.com')).isTokenLocked).toBe(true)
    // Its only method locked, the user has none to offer: NO_METHOD_AVAILABLE, audited as locked.
    expect(await new Agent(t, key).initialize('auto@example.com')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'NO_METHOD_AVAILABLE',
    })
    const noMethod = (await t.runtime.store.read.audit.list(t.company.id)).filter(
      (e) => e.reason === 'NO_METHOD_AVAILABLE',
    )
    expect(noMethod.map((e) => e.details)).toEqual([expect.objectContaining({ locked: true })])
    clock.advance(4 * 60_000)
    expect(await tryCode(totpNow(seed, clock.now()))).toBe('METHOD_LOCKED')
    clock.advance(60_000)
    expect(await tryCode(totpNow(seed, clock.now()))).toBe('CREDENTIAL_VERIFIED')
    // The lift is a state change: audited, by the system, once.
    const lifted = (await t.runtime.store.read.audit.list(t.company.id)).filter(
      (e) => e.action === 'methods.auto_unlocked',
    )
    expect(lifted).toEqual([
      expect.objectContaining({
        actor: { type: 'system', id: null, role: null },
        targetType: 'user',
        targetId: userId,
        reason: 'LOCKOUT_EXPIRED',
        details: expect.objectContaining({ method: 'TOKEN' }),
      }),
    ])
  })

  it('race: 100 parallel wrong codes count exactly maxFailedAttempts failures and lock', async () => {
    const clock = manualClock(START)
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const userId = await t.createUser('race@example.com')
    const seed = await registerTotp(t, userId)
    const agents = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const agent = new Agent(t, key)
        await agent.initialize('race@example.com')
        return agent
      }),
    )
    const wrong = wrongTotp(seed, clock.now())
    const answers = await Promise.all(agents.map((agent) => agent.verify('TOKEN', wrong)))
    expect(answers.every((a) => a.attemptResponseCode === 'FAIL')).toBe(true)
    const locks = await t.runtime.store.read.locks.list(t.company.id, userId)
    expect(locks).toEqual([{ method: 'TOKEN', failedCount: 3, lockedAt: expect.any(Number) }])
    const counted = answers.filter((a) => a.attemptReasonCode === 'VERIFY_ERROR').length
    // Only the counted failures answer VERIFY_ERROR (docs/authn.md "Lockout").
    expect(counted).toBe(3)
    expect(answers.filter((a) => a.attemptReasonCode === 'METHOD_LOCKED')).toHaveLength(
      100 - counted,
    )
    // Nothing succeeds after the lock.
    const after = await new Agent(t, key).initialize('race@example.com', {
      subjectCredentials: [
        {
          methodId: 'TOKEN',
          collectedInputs: [{ name: 'TOKEN', value: totpNow(seed, clock.now()) }],
        },
      ],
    })
    expect(after.attemptReasonCode).toBe('METHOD_LOCKED')
  })
})

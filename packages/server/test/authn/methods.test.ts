import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { encodeBase32, hotp, totpStep } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from '../helpers.js'
import {
  Agent,
  agentKey,
  type ChallengeSet,
  challengeIds,
  firstMethod,
  lastOutboxCode,
  outboxLines,
  registerTotp,
  totpNow,
} from './authn-helpers.js'

const START = Date.UTC(2026, 10, 30, 9, 0, 10)

const lookup = async (t: TestApp, email: string) =>
  (await t.call('POST', '/v1/users/lookup', { email })).json()

const setup = async (extra: Record<string, unknown> = {}) => {
  const clock = manualClock(START)
  const t = await buildTestApp({ clock })
  const key = await agentKey(t)
  const userId = await t.createUser('bob@example.com', extra)
  return { t, clock, key, userId }
}

describe('TOKEN (Authenticate OTP)', () => {
  it('registration answers the otpauth URI once; ±1 step accepted, a step never twice', async () => {
    const { t, clock, key, userId } = await setup()
    const registered = await t.call(
      'POST',
      `/v1/users/${userId}/authenticators/totp`,
      undefined,
      t.company.helpDesk,
    )
    expect(registered.statusCode).toBe(201)
    const uri = registered.json().otpauthUri as string
    expect(uri).toMatch(
      /^otpauth:\/\/totp\/tokendesk%20Acme:bob%40example\.com\?secret=[A-Z2-7]+&issuer=tokendesk%20Acme&algorithm=SHA1&digits=6&period=30$/,
    )
    expect((await lookup(t, 'bob@example.com')).toString()).not.toContain('secret')
    // Registering again replaces the seed: the old one no longer works.
    const seed = await registerTotp(t, userId)
    const tryCode = async (code: string) => {
      const agent = new Agent(t, key)
      await agent.initialize('bob@example.com')
      return (await agent.verify('TOKEN', code)).attemptReasonCode
    }
    expect(await tryCode(totpNow(seed, clock.now(), -1))).toBe('CREDENTIAL_VERIFIED')
    // The step before the accepted one, and the accepted one itself, are replays now.
    expect(await tryCode(totpNow(seed, clock.now(), -1))).toBe('VERIFY_ERROR')
    expect(await tryCode(totpNow(seed, clock.now(), 1))).toBe('CREDENTIAL_VERIFIED')
    expect(await tryCode(totpNow(seed, clock.now(), 1))).toBe('VERIFY_ERROR')
    clock.advance(120_000)
    expect(await tryCode(totpNow(seed, clock.now(), 2))).toBe('VERIFY_ERROR')
    expect(await tryCode(totpNow(seed, clock.now()))).toBe('CREDENTIAL_VERIFIED')
    const unknownUser = await t.call(
      'POST',
      '/v1/users/00000000-0000-4000-8000-000000000000/authenticators/totp',
    )
    expect(unknownUser.statusCode).toBe(404)
  })
})

describe('EMERGENCY_TOKENCODE', () => {
  it('works online until expiry, stamps emergencyTokencodeLastUse, and stops after DELETE or a second PUT', async () => {
    const { t, clock, key, userId } = await setup()
    const put = await t.call('PUT', `/v2/users/${userId}/emergencyTokencode`, {
      expiryUnit: 'minutes',
      expiryValue: 10,
    })
    expect(put.statusCode).toBe(200)
    const code = put.json().emergencyTokencode as string
    const tryCode = async (value: string) => {
      const agent = new Agent(t, key)
      const first = await agent.initialize('bob@example.com')
      if (first.attemptResponseCode !== 'CHALLENGE')
        return { offered: false, reason: first.attemptReasonCode }
      const offered = challengeIds(first).includes('EMERGENCY_TOKENCODE')
      return {
        offered,
        reason: (await agent.verify('EMERGENCY_TOKENCODE', value)).attemptReasonCode,
      }
    }
    expect(await tryCode(code.toLowerCase())).toEqual({
      offered: true,
      reason: 'CREDENTIAL_VERIFIED',
    })
    expect((await lookup(t, 'bob@example.com')).emergencyTokencodeLastUse).toBe(
      new Date(clock.now()).toISOString(),
    )
    clock.advance(9 * 60_000)
    expect(await tryCode(code)).toEqual({ offered: true, reason: 'CREDENTIAL_VERIFIED' })
    clock.advance(60_000)
    expect(await tryCode(code)).toEqual({ offered: false, reason: 'NO_METHOD_AVAILABLE' })

    const second = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
    const first = second.json().emergencyTokencode as string
    const third = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
    const latest = third.json().emergencyTokencode as string
    expect(await tryCode(first)).toEqual({ offered: true, reason: 'VERIFY_ERROR' })
    expect(await tryCode(latest)).toEqual({ offered: true, reason: 'CREDENTIAL_VERIFIED' })
    const deleted = await t.call(
      'DELETE',
      `/v1/users/${userId}/emergencyTokencode/${third.json().emergencyTokencodeId}`,
    )
    expect(deleted.statusCode).toBe(200)
    expect(await tryCode(latest)).toEqual({ offered: false, reason: 'NO_METHOD_AVAILABLE' })
    // Forced, single-step: it fails (not available any more), never succeeds.
    const forced = await new Agent(t, key).initialize('bob@example.com', {
      subjectCredentials: [
        {
          methodId: 'EMERGENCY_TOKENCODE',
          collectedInputs: [{ name: 'EMERGENCY_TOKENCODE', value: latest }],
        },
      ],
    })
    expect(forced.attemptResponseCode).toBe('FAIL')
  })

  it('race: 20 parallel uses of one oneTimeUse code, exactly one SUCCESS', async () => {
    const { t, key, userId } = await setup()
    const settings = await t.call('PUT', '/v1/company/settings', {
      lockout: { maxFailedAttempts: 20 },
    })
    expect(settings.statusCode).toBe(200)
    const put = await t.call('PUT', `/v2/users/${userId}/emergencyTokencode`, { oneTimeUse: true })
    const code = put.json().emergencyTokencode as string
    const agents = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const agent = new Agent(t, key)
        await agent.initialize('bob@example.com')
        return agent
      }),
    )
    const answers = await Promise.all(agents.map((a) => a.verify('EMERGENCY_TOKENCODE', code)))
    expect(answers.filter((a) => a.attemptResponseCode === 'SUCCESS')).toHaveLength(1)
    expect(answers.filter((a) => a.attemptResponseCode === 'FAIL')).toHaveLength(19)
    expect((await lookup(t, 'bob@example.com')).emergencyAccessStatus).toBe('Disabled')
  })
})

describe('SMS and VOICE', () => {
  it('a verify without value sends a 6-digit code to the outbox (0600); the code verifies once, for 5 minutes', async () => {
    const { t, clock, key } = await setup({ smsNumber: '+15550100', voiceNumber: '+15550101' })
    const outbox = join(t.dir, 'outbox.ndjson')
    const agent = new Agent(t, key)
    const first = await agent.initialize('bob@example.com')
    expect(challengeIds(first)).toEqual(['SMS', 'VOICE'])
    expect(
      first.challengeMethods.challenges.map((s: ChallengeSet) => s.requiredMethods[0]?.displayName),
    ).toEqual(['SMS Tokencode', 'Voice Tokencode'])
    const sent = await agent.verify('VOICE')
    expect(challengeIds(sent)).toEqual(['VOICE'])
    expect(statSync(outbox).mode & 0o777).toBe(0o600)
    const line = JSON.parse(readFileSync(outbox, 'utf8').trim())
    expect(line).toMatchObject({
      channel: 'VOICE',
      to: '+15550101',
      userId: expect.any(String),
      companyId: t.company.id,
    })
    expect(Date.parse(line.expiresAt) - clock.now()).toBe(300_000)
    const code = /(\d{6})/.exec(line.message)?.[1] as string
    expect(await agent.verify('VOICE', code)).toMatchObject({ attemptResponseCode: 'SUCCESS' })

    const late = new Agent(t, key)
    await late.initialize('bob@example.com', { authnAttemptTimeout: 600 })
    await late.verify('SMS')
    const smsCode = lastOutboxCode(t)
    clock.advance(300_001)
    expect(await late.verify('SMS', smsCode)).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'VERIFY_ERROR',
    })
  })

  it('each send counts toward the lockout, in one attempt or across attempts; a success resets it', async () => {
    const { t, key } = await setup({ smsNumber: '+15550100' })
    const send = async (agent: Agent) => (await agent.verify('SMS')).attemptResponseCode
    // Two sends, then the right code: the count is reset.
    const first = new Agent(t, key)
    await first.initialize('bob@example.com')
    expect(await send(first)).toBe('CHALLENGE')
    expect(await send(first)).toBe('CHALLENGE')
    expect(await first.verify('SMS', lastOutboxCode(t))).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
    // A fresh attempt per send (no free first send): three are sent, the fourth is refused and
    // locks the method, sending nothing.
    for (let i = 0; i < 3; i++) {
      const agent = new Agent(t, key)
      await agent.initialize('bob@example.com')
      expect(await send(agent)).toBe('CHALLENGE')
    }
    const sent = outboxLines(t).length
    const last = new Agent(t, key)
    await last.initialize('bob@example.com')
    expect(await last.verify('SMS')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'METHOD_LOCKED',
    })
    expect(outboxLines(t)).toHaveLength(sent)
    expect((await lookup(t, 'bob@example.com')).isSmsLocked).toBe(true)
  })

  it('with maxFailedAttempts 1 a code is still sent and verifies; a second send without success is refused', async () => {
    const { t, key } = await setup({ smsNumber: '+15550100' })
    const settings = await t.call('PUT', '/v1/company/settings', {
      lockout: { maxFailedAttempts: 1 },
    })
    expect(settings.statusCode).toBe(200)
    const agent = new Agent(t, key)
    await agent.initialize('bob@example.com')
    expect((await agent.verify('SMS')).attemptResponseCode).toBe('CHALLENGE')
    expect((await agent.verify('SMS', lastOutboxCode(t))).attemptResponseCode).toBe('SUCCESS')
    const again = new Agent(t, key)
    await again.initialize('bob@example.com')
    expect((await again.verify('SMS')).attemptResponseCode).toBe('CHALLENGE')
    const sent = outboxLines(t).length
    const third = new Agent(t, key)
    await third.initialize('bob@example.com')
    expect(await third.verify('SMS')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'METHOD_LOCKED',
    })
    expect(outboxLines(t)).toHaveLength(sent)
  })
})

/** A SecurID-class token imported with a seed the test knows (60 s steps, 6 digits). */
const hardwareToken = async (t: TestApp, userId: string, serial = '000777') => {
  const seed = new Uint8Array(20).map((_, i) => (i * 13 + 7) & 0xff)
  const imported = await t.call('POST', '/v1/sidTokens/import', {
    tokens: [{ tokenSerialNumber: serial, secret: encodeBase32(seed) }],
  })
  expect(imported.statusCode).toBe(200)
  expect(
    (await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: serial }))
      .statusCode,
  ).toBe(200)
  return seed
}

const devices = async (t: TestApp, userId: string) =>
  (await t.call('GET', `/v2/users/${userId}/devices`)).json().sidTokens?.[0]

describe('SECURID', () => {
  it('only an enabled token verifies; new-PIN mode, PIN + tokencode, no replay; Activated on first success', async () => {
    const { t, clock, key, userId } = await setup()
    const seed = await hardwareToken(t, userId)
    const code = (offset = 0) => hotp(seed, totpStep(clock.now(), 60) + offset, 6)
    // Assigned but Disabled: not offered.
    expect(await new Agent(t, key).initialize('bob@example.com')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'NO_METHOD_AVAILABLE',
    })
    expect(
      (
        await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, {
          tokenSerialNumber: '000777',
        })
      ).statusCode,
    ).toBe(200)

    const agent = new Agent(t, key)
    const first = await agent.initialize('bob@example.com')
    expect(firstMethod(first)).toMatchObject({
      methodId: 'SECURID',
      displayName: 'RSA SecurID',
      priority: 1,
    })
    const newPin = await agent.verify('SECURID', code())
    expect(newPin).toMatchObject({
      attemptResponseCode: 'CHALLENGE',
      attemptReasonCode: 'AUTHENTICATION_REQUIRED',
    })
    const entry = firstMethod(newPin)
    expect(entry).toMatchObject({ methodId: 'SECURID_NEWPIN', displayName: 'RSA SecurID New PIN' })
    expect(entry.versions[0]?.prompt.valueBeingDefined).toBe(true)
    // A PIN outside the policy is asked for again.
    const rejected = await agent.verify('SECURID_NEWPIN', '12')
    expect(rejected.credentialValidationResults[0]).toMatchObject({
      methodResponseCode: 'FAIL',
      methodReasonCode: 'PIN_REJECTED',
    })
    expect(challengeIds(rejected)).toEqual(['SECURID_NEWPIN'])
    expect(challengeIds(await agent.verify('SECURID_NEWPIN', '246810'))).toEqual(['SECURID'])
    // The same tokencode again is a replay, even with the PIN.
    const replay = await agent.verify('SECURID', `246810${code()}`)
    expect(replay).toMatchObject({ attemptResponseCode: 'FAIL', attemptReasonCode: 'VERIFY_ERROR' })

    clock.advance(60_000)
    const next = new Agent(t, key)
    await next.initialize('bob@example.com')
    expect((await next.verify('SECURID', code())).attemptReasonCode).toBe('VERIFY_ERROR') // PIN missing
    clock.advance(60_000)
    const withPin = new Agent(t, key)
    await withPin.initialize('bob@example.com')
    expect(await withPin.verify('SECURID', `246810${code()}`)).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
    expect((await devices(t, userId))?.tokenState ?? 'Activated').toBe('Activated')
    const stored = await t.runtime.store.read.tokens.findBySerial(t.company.id, '000777')
    expect(stored?.state).toBe('Activated')
    expect(stored?.pinSet).toBe(true)
    // Single-step: PIN + tokencode in initialize.
    clock.advance(60_000)
    const single = await new Agent(t, key).initialize('bob@example.com', {
      subjectCredentials: [
        { methodId: 'SECURID', collectedInputs: [{ name: 'SECURID', value: `246810${code()}` }] },
      ],
    })
    expect(single).toMatchObject({
      attemptResponseCode: 'SUCCESS',
      attemptReasonCode: 'CREDENTIAL_VERIFIED',
    })
  })

  it('a drifted token triggers next-tokencode and is resynchronised', async () => {
    const { t, clock, key, userId } = await setup()
    const seed = await hardwareToken(t, userId)
    expect(
      (
        await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, {
          tokenSerialNumber: '000777',
        })
      ).statusCode,
    ).toBe(200)
    // The token's clock runs 5 minutes (5 steps) ahead.
    const shown = (extra = 0) => hotp(seed, totpStep(clock.now(), 60) + 5 + extra, 6)
    const agent = new Agent(t, key)
    await agent.initialize('bob@example.com')
    const resync = await agent.verify('SECURID', shown())
    expect(resync).toMatchObject({
      attemptResponseCode: 'CHALLENGE',
      credentialValidationResults: [
        {
          methodId: 'SECURID',
          methodResponseCode: 'CHALLENGE',
          methodReasonCode: 'NEXT_TOKENCODE_REQUIRED',
        },
      ],
    })
    const entry = firstMethod(resync)
    expect(entry.methodId).toBe('SECURID_NEXT_TOKENCODE')
    expect(entry.versions[0]?.prompt.promptResourceId).toBe('PROMPT.SID.NEXT_TOKENCODE')
    clock.advance(60_000)
    // The right next tokencode: the token has no PIN, so new-PIN mode follows.
    const after = await agent.verify('SECURID_NEXT_TOKENCODE', shown())
    expect(challengeIds(after)).toEqual(['SECURID_NEWPIN'])
    expect(challengeIds(await agent.verify('SECURID_NEWPIN', '1357'))).toEqual(['SECURID'])
    clock.advance(60_000)
    // Resynchronised: the drifted code now verifies directly.
    expect(await agent.verify('SECURID', `1357${shown()}`)).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
    clock.advance(60_000)
    const later = new Agent(t, key)
    await later.initialize('bob@example.com')
    expect(await later.verify('SECURID', `1357${shown()}`)).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
  })
})

describe('audit trail', () => {
  it('every verification is a user event with method, result, reason, agent and address — never the value', async () => {
    const { t, clock, key, userId } = await setup()
    const seed = await registerTotp(t, userId)
    const good = totpNow(seed, clock.now())
    const agent = new Agent(t, key)
    await agent.initialize('bob@example.com')
    await agent.verify('TOKEN', good)
    const bad = new Agent(t, key)
    await bad.initialize('bob@example.com')
    await bad.verify('TOKEN', '000000' === good ? '111111' : '000000')
    const events = await t.runtime.store.read.audit.list(t.company.id)
    const authn = events.filter((e) => e.action.startsWith('authn.'))
    expect(authn.map((e) => [e.action, e.result, e.reason])).toEqual([
      ['authn.succeeded', 'success', 'CREDENTIAL_VERIFIED'],
      ['authn.failed', 'failure', 'VERIFY_ERROR'],
    ])
    for (const event of authn) {
      expect(event).toMatchObject({
        actor: { type: 'agent_key', id: expect.any(String), role: null },
        targetType: 'user',
        targetId: userId,
        sourceIp: '127.0.0.1',
        details: { method: 'TOKEN', agentKeyId: expect.any(String), clientId: 'test' },
      })
    }
    expect(JSON.stringify(events)).not.toContain(good)
  })
})

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeBase32, hotp, totpStep } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock } from '../helpers.js'
import {
  type AuthnBody,
  agentKey,
  type ChallengeSet,
  expectFullShape,
  firstMethod,
  MFA,
  registerTotp,
  totpNow,
} from './authn-helpers.js'

/**
 * Replays of the request sequences the real clients send (research Part 1 §1.4, §1.5, §1.9),
 * byte for byte where the research quotes them, checking every key each client reads.
 */
describe('compatibility with the real clients', () => {
  const setup = async () => {
    const clock = manualClock(Date.UTC(2026, 10, 30, 9, 0, 10))
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const userId = await t.createUser('jdoe@example.com', { smsNumber: '+15550100' })
    const post = async (path: string, body: unknown, contentType = 'application/json') => {
      const response = await t.app.inject({
        method: 'POST',
        url: `${MFA}${path}`,
        headers: { 'client-key': key, 'content-type': contentType },
        payload: JSON.stringify(body),
      })
      expect(response.statusCode).toBe(200)
      const json = response.json() as AuthnBody
      expectFullShape(json)
      return json
    }
    return { t, clock, key, userId, post }
  }

  it('ForgeRock multi-step: SMS trigger without value or dataType, then the code', async () => {
    const { t, post } = await setup()
    const init = await post('/authn/initialize', {
      authnAttemptTimeout: 180,
      clientId: 'forgerock-node',
      subjectName: 'jdoe@example.com',
      lang: 'us_EN',
      assurancePolicyId: null,
      context: { messageId: 'c1' },
    })
    // ForgeRock finds its choices by display name.
    const sms = init.challengeMethods.challenges.find(
      (s: ChallengeSet) => s.requiredMethods[0]?.displayName === 'SMS Tokencode',
    )
    expect(sms?.requiredMethods[0]?.versions[0]?.methodAttributes).toEqual([])
    const trigger = await post('/authn/verify', {
      subjectCredentials: [{ methodId: 'SMS', collectedInputs: [{ name: 'SMS' }] }],
      context: {
        authnAttemptId: init.context.authnAttemptId,
        messageId: 'c2',
        inResponseTo: init.context.messageId,
      },
    })
    expect(trigger.context).toMatchObject({
      authnAttemptId: init.context.authnAttemptId,
      inResponseTo: 'c2',
    })
    const line = readFileSync(join(t.dir, 'outbox.ndjson'), 'utf8').trim()
    const code = /(\d{6})/.exec(JSON.parse(line).message)?.[1]
    const done = await post('/authn/verify', {
      subjectCredentials: [
        { methodId: 'SMS', collectedInputs: [{ name: 'SMS', value: code, dataType: 'STRING' }] },
      ],
      context: {
        authnAttemptId: trigger.context.authnAttemptId,
        messageId: 'c3',
        inResponseTo: trigger.context.messageId,
      },
    })
    expect(done.attemptResponseCode).toBe('SUCCESS')
    expect(done.attemptReasonCode).toBe('CREDENTIAL_VERIFIED')
    expect(done.challengeMethods).toEqual({ challenges: [] })
  })

  it('single-step SecurID in initialize (AM PowerShell / C# shape), charset variants accepted', async () => {
    const { t, clock, userId, post } = await setup()
    const seed = new Uint8Array(20).fill(9)
    await t.call('POST', '/v1/sidTokens/import', {
      tokens: [{ tokenSerialNumber: '555', secret: encodeBase32(seed) }],
    })
    await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: '555' })
    await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: '555' })
    const code = hotp(seed, totpStep(clock.now(), 60), 6)
    const answer = await post(
      '/authn/initialize',
      {
        authnAttemptTimeout: 10,
        clientId: 'vidm01.example.com',
        subjectName: 'jdoe@example.com',
        lang: 'en_US',
        assurancePolicyId: 'a-policy-id',
        sessionAttributes: [],
        subjectCredentials: [
          {
            methodId: 'SECURID',
            collectedInputs: [{ name: 'SECURID', value: code, dataType: 'STRING' }],
          },
        ],
        context: { messageId: 'ps-1' },
        keepAttempt: false,
      },
      'application/json;charset=UTF-8',
    )
    // No PIN yet: the tokencode is accepted and new-PIN mode follows.
    expect(answer.attemptResponseCode).toBe('CHALLENGE')
    expect(answer.credentialValidationResults[0]?.methodResponseCode).toBe('SUCCESS')
    expect(firstMethod(answer).methodId).toBe('SECURID_NEWPIN')
    const pin = await post(
      '/authn/verify',
      {
        subjectCredentials: [
          {
            methodId: 'SECURID_NEWPIN',
            collectedInputs: [{ name: 'SECURID_NEWPIN', value: '8642' }],
          },
        ],
        context: {
          authnAttemptId: answer.context.authnAttemptId,
          messageId: 'ps-2',
          inResponseTo: answer.context.messageId,
        },
      },
      'application/json; charset=utf-8',
    )
    expect(pin.attemptResponseCode).toBe('CHALLENGE')
  })

  it('Deep Lynx (clientID mis-cased, subjectName on verify) and Keycloak (empty-string context fields)', async () => {
    const { t, clock, userId, post } = await setup()
    const seed = await registerTotp(t, userId)
    const init = await post('/authn/initialize', {
      clientID: 'deep-lynx',
      subjectName: 'jdoe@example.com',
      context: { authnAttemptId: '', messageId: 'test5213021196242', inResponseTo: '' },
    })
    expect(init.attemptResponseCode).toBe('CHALLENGE')
    expect(init.context.inResponseTo).toBe('test5213021196242')
    const done = await post('/authn/verify', {
      clientID: 'deep-lynx',
      subjectName: 'jdoe@example.com',
      subjectCredentials: [
        {
          methodId: 'TOKEN',
          versionId: 'TemenosTransact',
          collectedInputs: [{ name: 'TOKEN', value: totpNow(seed, clock.now()) }],
        },
      ],
      context: {
        authnAttemptId: init.context.authnAttemptId,
        messageId: 'x1',
        inResponseTo: init.context.messageId,
      },
    })
    expect(done.attemptResponseCode).toBe('SUCCESS')
    const events = await t.runtime.store.read.audit.list(t.company.id)
    expect(events.find((e) => e.action === 'authn.succeeded')?.details.clientId).toBe('deep-lynx')
  })

  it('Temenos: authMethodId TOKEN forces the method', async () => {
    const { t, userId, post } = await setup()
    await registerTotp(t, userId)
    const init = await post('/authn/initialize', {
      authnAttemptTimeout: 180,
      subjectName: 'jdoe@example.com',
      lang: 'us_EN',
      authMethodId: 'TOKEN',
      context: { messageId: 'tm-1' },
    })
    expect(
      init.challengeMethods.challenges.map((s: ChallengeSet) => s.requiredMethods[0]?.methodId),
    ).toEqual(['TOKEN'])
    expect(firstMethod(init).displayName).toBe('Authenticate Tokencode')
  })
})

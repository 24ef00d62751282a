import { randomBytes } from 'node:crypto'
import { hotp, totpStep } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { buildTestApp, manualClock, type TestApp } from '../helpers.js'
import { encryptedPskc, NS, plainPskc } from '../tokens/pskc-documents.js'
import { Agent, agentKey, challengeIds } from './authn-helpers.js'

const importPskc = (t: TestApp, body: Record<string, unknown>) =>
  t.call('POST', '/v1/sidTokens/import/pskc', body)

const assignAndEnable = async (t: TestApp, userId: string, serial: string) => {
  expect(
    (await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: serial }))
      .statusCode,
  ).toBe(200)
  expect(
    (await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: serial }))
      .statusCode,
  ).toBe(200)
}

describe('PSKC import → SecurID authentication, end to end', () => {
  it('a PSKC token: new-PIN mode, PIN + tokencode, replay refused, drift resynchronised', async () => {
    const clock = manualClock(Date.UTC(2026, 10, 30, 9, 0, 10))
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const userId = await t.createUser('carol@example.com')
    const seed = randomBytes(20)
    const imported = await importPskc(t, { pskc: plainPskc('000424242', seed) })
    expect(imported.statusCode).toBe(200)
    expect(imported.json()).toEqual({ imported: 1, tokenSerialNumbers: ['000424242'] })
    await assignAndEnable(t, userId, '000424242')
    const code = (offset = 0) => hotp(new Uint8Array(seed), totpStep(clock.now(), 60) + offset, 6)

    const agent = new Agent(t, key)
    await agent.initialize('carol@example.com')
    expect(challengeIds(await agent.verify('SECURID', code()))).toEqual(['SECURID_NEWPIN'])
    expect(challengeIds(await agent.verify('SECURID_NEWPIN', '9876'))).toEqual(['SECURID'])
    clock.advance(60_000)
    expect(await agent.verify('SECURID', `9876${code()}`)).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })

    // The same passcode again: a replay.
    const replay = new Agent(t, key)
    await replay.initialize('carol@example.com')
    expect(await replay.verify('SECURID', `9876${code()}`)).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'VERIFY_ERROR',
    })

    // The token's clock drifts 4 steps behind: next tokencode, then resynchronised.
    clock.advance(10 * 60_000)
    const drift = new Agent(t, key)
    await drift.initialize('carol@example.com')
    const challenged = await drift.verify('SECURID', `9876${code(-4)}`)
    expect(challengeIds(challenged)).toEqual(['SECURID_NEXT_TOKENCODE'])
    clock.advance(60_000)
    expect(await drift.verify('SECURID_NEXT_TOKENCODE', code(-4))).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
    clock.advance(60_000)
    const after = new Agent(t, key)
    await after.initialize('carol@example.com')
    expect(await after.verify('SECURID', `9876${code(-4)}`)).toMatchObject({
      attemptResponseCode: 'SUCCESS',
    })
  })

  it('encrypted PSKC: PBKDF2 password and pre-shared key; MAC and key checked; bad documents are 400', async () => {
    const clock = manualClock(Date.UTC(2026, 10, 30, 9, 0, 10))
    const t = await buildTestApp({ clock })
    const key = await agentKey(t)
    const userId = await t.createUser('dave@example.com')
    const seed = randomBytes(20)
    const withPassword = encryptedPskc('7001', seed, { password: 'correct horse' })
    const wrong = await importPskc(t, { pskc: withPassword, password: 'wrong' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().description).toMatch(/^Invalid PSKC: /)
    const missing = await importPskc(t, { pskc: withPassword })
    expect(missing.json().description).toContain('password')
    const tampered = await importPskc(t, {
      pskc: encryptedPskc('7001', seed, { password: 'pw' }, true),
      password: 'pw',
    })
    expect(tampered.statusCode).toBe(400)
    expect(tampered.json().description).toContain('MAC check failed')
    const ok = await importPskc(t, { pskc: withPassword, password: 'correct horse' })
    expect(ok.statusCode).toBe(200)
    await assignAndEnable(t, userId, '7001')
    const agent = new Agent(t, key)
    await agent.initialize('dave@example.com')
    const code = hotp(new Uint8Array(seed), totpStep(clock.now(), 60), 6)
    expect(challengeIds(await agent.verify('SECURID', code))).toEqual(['SECURID_NEWPIN'])

    const psk = randomBytes(16)
    const withPsk = encryptedPskc('7002', randomBytes(20), { preSharedKey: psk })
    expect(
      (await importPskc(t, { pskc: withPsk, preSharedKey: randomBytes(16).toString('hex') }))
        .statusCode,
    ).toBe(400)
    const pskOk = await importPskc(t, { pskc: withPsk, preSharedKey: psk.toString('hex') })
    expect(pskOk.json()).toEqual({ imported: 1, tokenSerialNumbers: ['7002'] })

    for (const pskc of [
      'not xml',
      '<KeyContainer><KeyPackage></KeyContainer>',
      '<!DOCTYPE x [<!ENTITY a "b">]><KeyContainer/>',
      `<KeyContainer xmlns="${NS}"/>`,
      plainPskc('7003', seed).replace('pskc:totp', 'pskc:hotp'),
      plainPskc('7003', seed).replace('<PlainValue>', '<PlainValue>***'),
    ]) {
      const response = await importPskc(t, { pskc })
      expect(response.statusCode, pskc).toBe(400)
      expect(response.json().code).toBe('400 BAD_REQUEST')
    }
    const helpDesk = await t.call(
      'POST',
      '/v1/sidTokens/import/pskc',
      { pskc: plainPskc('1', seed) },
      t.company.helpDesk,
    )
    expect(helpDesk.statusCode).toBe(403)
  })
})

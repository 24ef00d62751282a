import { existsSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { signWebhook } from '../../src/authn/webhook.js'
import { buildTestApp, type TestApp } from '../helpers.js'
import { Agent, agentKey } from './authn-helpers.js'

const SECRET = 'webhook-secret-of-at-least-32-characters'

interface Received {
  headers: IncomingMessage['headers']
  body: string
}

/** A gateway that answers `statuses` in turn (then 200) and records what it got. */
const gateway = async (statuses: number[]) => {
  const received: Received[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ headers: request.headers, body })
      response.statusCode = statuses.shift() ?? 200
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/sms`, received }
}

describe('SMS/voice webhook delivery', () => {
  it('POSTs the signed message, retries a 503, and the delivered code verifies', async () => {
    const hook = await gateway([503])
    const t = await buildTestApp({
      env: { TOKENDESK_SMS_WEBHOOK_URL: hook.url, TOKENDESK_SMS_WEBHOOK_SECRET: SECRET },
    })
    const key = await agentKey(t)
    await t.createUser('erin@example.com', { smsNumber: '+15550199' })
    const agent = new Agent(t, key)
    await agent.initialize('erin@example.com')
    expect((await agent.verify('SMS')).attemptResponseCode).toBe('CHALLENGE')
    expect(hook.received).toHaveLength(2)
    const delivered = hook.received[1] as Received
    const timestamp = delivered.headers['x-tokendesk-timestamp'] as string
    expect(delivered.headers['x-tokendesk-signature']).toBe(
      signWebhook(SECRET, timestamp, delivered.body),
    )
    const message = JSON.parse(delivered.body)
    expect(message).toMatchObject({ channel: 'SMS', to: '+15550199', companyId: t.company.id })
    const code = /(\d{6})/.exec(message.message)?.[1] as string
    expect(await agent.verify('SMS', code)).toMatchObject({ attemptResponseCode: 'SUCCESS' })
  })

  it('a gateway that refuses: FAIL / DELIVERY_FAILED; the URL needs the secret', async () => {
    const hook = await gateway([400, 400, 400, 400, 400])
    const t = await buildTestApp({
      env: { TOKENDESK_SMS_WEBHOOK_URL: hook.url, TOKENDESK_SMS_WEBHOOK_SECRET: SECRET },
    })
    const key = await agentKey(t)
    await t.createUser('frank@example.com', { voiceNumber: '+15550198' })
    const agent = new Agent(t, key)
    await agent.initialize('frank@example.com')
    expect(await agent.verify('VOICE')).toMatchObject({
      attemptResponseCode: 'FAIL',
      attemptReasonCode: 'DELIVERY_FAILED',
    })
    expect(hook.received).toHaveLength(1)
    // A code that did not leave is not counted toward the lockout, nor audited as sent: a
    // gateway outage locks nobody.
    for (let i = 0; i < 4; i++) {
      const retry = new Agent(t, key)
      await retry.initialize('frank@example.com')
      expect((await retry.verify('VOICE')).attemptReasonCode).toBe('DELIVERY_FAILED')
    }
    const lookup = await t.call('POST', '/v1/users/lookup', { email: 'frank@example.com' })
    expect(lookup.json().isVoiceLocked).toBe(false)
    const events = await t.runtime.store.read.audit.list(t.company.id)
    expect(events.filter((e) => e.action === 'authn.code_sent')).toEqual([])
    expect(events.filter((e) => e.reason === 'DELIVERY_FAILED')).toHaveLength(5)
    await expect(buildTestApp({ env: { TOKENDESK_SMS_WEBHOOK_URL: hook.url } })).rejects.toThrow(
      /TOKENDESK_SMS_WEBHOOK_SECRET/,
    )
  })
  it('TOKENDESK_SMS_DELIVERY chooses the channel; file with a webhook URL does not start', async () => {
    const hook = await gateway([])
    const send = async (t: TestApp, email: string) => {
      const agent = new Agent(t, await agentKey(t))
      await t.createUser(email, { smsNumber: '+15550197' })
      await agent.initialize(email)
      expect((await agent.verify('SMS')).attemptResponseCode).toBe('CHALLENGE')
    }
    const outboxOf = (t: TestApp) => join(dirname(t.databaseFile), 'outbox.ndjson')

    const webhook = await buildTestApp({
      env: {
        TOKENDESK_SMS_DELIVERY: 'webhook',
        TOKENDESK_SMS_WEBHOOK_URL: hook.url,
        TOKENDESK_SMS_WEBHOOK_SECRET: SECRET,
      },
    })
    await send(webhook, 'grace@example.com')
    expect(hook.received).toHaveLength(1)
    expect(existsSync(outboxOf(webhook))).toBe(false)

    const file = await buildTestApp({ env: { TOKENDESK_SMS_DELIVERY: 'file' } })
    await send(file, 'heidi@example.com')
    expect(readFileSync(outboxOf(file), 'utf8')).toContain('"to":"+15550197"')
    expect(hook.received).toHaveLength(1)

    await expect(
      buildTestApp({
        env: {
          TOKENDESK_SMS_DELIVERY: 'file',
          TOKENDESK_SMS_WEBHOOK_URL: hook.url,
          TOKENDESK_SMS_WEBHOOK_SECRET: SECRET,
        },
      }),
    ).rejects.toThrow(/TOKENDESK_SMS_DELIVERY.*TOKENDESK_SMS_WEBHOOK_URL/)
    await expect(buildTestApp({ env: { TOKENDESK_SMS_DELIVERY: 'webhook' } })).rejects.toThrow(
      /TOKENDESK_SMS_WEBHOOK_URL.*\n.*TOKENDESK_SMS_WEBHOOK_SECRET/,
    )
  })
})

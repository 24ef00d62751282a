import { readFileSync } from 'node:fs'
import { createClient } from '@tokendesk/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unblock } from './help-desk-example.js'
import { base32Secret, type ListeningApp, listen, lockMethods } from './server.js'

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const SCRIPT = readFileSync(new URL('./help-desk-example.ts', import.meta.url), 'utf8')

describe('the README script', () => {
  let t: ListeningApp
  beforeAll(async () => {
    t = await listen()
  })
  afterAll(() => t?.close())

  it('is in the README, word for word', () => {
    expect(README).toContain(SCRIPT)
  })

  it('looks a user up, unlocks TOKEN and SMS, issues a 2-day code and enables a token', async () => {
    const userId = await t.createUser('caller@example.com')
    lockMethods(t, userId, ['TOKEN', 'SMS', 'VOICE'])
    const serial = '000123456789'
    const admin = createClient({ keyFile: t.company.superAdmin, baseUrl: t.baseUrl })
    await admin.importTokens({ tokens: [{ tokenSerialNumber: serial, secret: base32Secret() }] })
    await admin.assignToken(userId, { tokenSerialNumber: serial })

    const helpDesk = createClient({ keyFile: t.company.helpDesk, baseUrl: t.baseUrl })
    const { user, locks, eac, token } = await unblock(helpDesk, 'Caller@Example.com', serial)
    expect(user.id).toBe(userId)
    expect(locks).toEqual({ userId, isTokenLocked: false, isSmsLocked: false, isVoiceLocked: true })
    const days = (Date.parse(eac.expirationDate) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(1.99)
    expect(days).toBeLessThanOrEqual(2)
    expect(token).toMatchObject({ userId, tokenSerialNumber: serial, tokenStatus: 'Enabled' })
  })
})

import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type * as Sdk from '../src/index.js'
import { base32Secret, type ListeningApp, listen, lockMethods } from './server.js'

/** The module under test: the sources, or the built package users install. */
export type SdkModule = typeof Sdk

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

let counter = 0
const email = (label: string) => {
  counter += 1
  return `${label}-${counter}-${process.pid}@example.com`
}

const decode = (part: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))

/** Rejects with whatever the promise rejects with (fails if it resolves). */
const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/**
 * The client's behaviour against the real server, written once and run against the sources
 * (`client.test.ts`) and against the built package (`client.dist.test.ts`).
 */
export const describeClient = (label: string, sdk: SdkModule): void => {
  describe(`${label}: every operation the server serves`, () => {
    let t: ListeningApp
    let admin: Sdk.TokendeskClient
    let helpDesk: Sdk.TokendeskClient
    beforeAll(async () => {
      t = await listen()
      admin = sdk.createClient({ keyFile: t.company.superAdmin, baseUrl: t.baseUrl })
      helpDesk = sdk.createClient({ keyFile: t.company.helpDesk, baseUrl: t.baseUrl })
    })
    afterAll(() => t?.close())

    it('creates a user and looks it up by email (case-insensitive), as a help-desk key', async () => {
      const address = email('jane')
      const created = await admin.createUser({
        emailAddress: address,
        firstName: 'Jane',
        lastName: 'Doe',
        smsNumber: '+15551234567',
      })
      expect(created.id).toMatch(UUID)
      const found = await helpDesk.lookupUser({ email: address.toUpperCase() })
      expect(found).toEqual(created)
      expect(found).toMatchObject({
        emailAddress: address,
        firstName: 'Jane',
        userStatus: 'Enabled',
        isTokenLocked: false,
        emergencyAccessStatus: 'Disabled',
        emergencyTokencodeId: null,
      })
    })

    it('issues a 2-day emergency code (v1), shows it in User Details, then disables it', async () => {
      const user = await admin.createUser({ emailAddress: email('eac') })
      const before = Date.now()
      const eac = await helpDesk.enableEmergencyTokencode(user.id, { expirationDays: 2 })
      expect(eac.emergencyTokencodeId).toMatch(UUID)
      expect(eac.emergencyTokencode).toMatch(/^[0-9A-Z]{6,16}$/)
      const expires = Date.parse(eac.expirationDate)
      expect(expires - before).toBeGreaterThanOrEqual(2 * 86_400_000 - 1000)
      expect(expires - before).toBeLessThanOrEqual(2 * 86_400_000 + 60_000)

      const details = await helpDesk.lookupUser({ email: user.emailAddress })
      expect(details.emergencyAccessStatus).toBe('Enabled')
      expect(details.emergencyTokencodeId).toBe(eac.emergencyTokencodeId)

      const disabled = await helpDesk.disableEmergencyTokencode(user.id, eac.emergencyTokencodeId)
      expect(disabled).toMatchObject({ userId: user.id, emergencyAccessStatus: 'Disabled' })
      expect((await helpDesk.lookupUser({ email: user.emailAddress })).emergencyAccessStatus).toBe(
        'Disabled',
      )
    })

    it('issues a v2 emergency code and reports the configuration used', async () => {
      const user = await admin.createUser({ emailAddress: email('eac2') })
      const eac = await helpDesk.enableEmergencyTokencodeV2(user.id, {
        expiryUnit: 'hours',
        expiryValue: 4,
        oneTimeUse: true,
      })
      expect(eac).toMatchObject({
        oneTimeUse: true,
        configurationsLocked: false,
        configurationsUsed: { expiryValue: 4, expiryUnit: 'hours', oneTimeUse: true },
      })
      expect(eac.expirationDate).toMatch(ISO)
    })

    it('unlocks TOKEN and SMS and answers the state of every documented method', async () => {
      const user = await admin.createUser({ emailAddress: email('locked') })
      lockMethods(t, user.id, ['TOKEN', 'SMS', 'VOICE'])
      expect(await helpDesk.lookupUser({ email: user.emailAddress })).toMatchObject({
        isTokenLocked: true,
        isSmsLocked: true,
        isVoiceLocked: true,
      })
      const state = await helpDesk.unlockMethods(user.id, { unlockMethods: ['TOKEN', 'SMS'] })
      expect(state).toEqual({
        userId: user.id,
        isTokenLocked: false,
        isSmsLocked: false,
        isVoiceLocked: true,
      })
    })

    it('imports, assigns and enables a hardware token', async () => {
      const user = await admin.createUser({ emailAddress: email('fob') })
      const serial = `00${String(Date.now()).slice(-8)}${counter}`
      const dry = await admin.importTokens(
        { tokens: [{ tokenSerialNumber: serial, secret: base32Secret() }] },
        { dryRun: true },
      )
      expect(dry).toEqual({ imported: 0, wouldImport: 1 })
      const imported = await admin.importTokens({
        tokens: [{ tokenSerialNumber: serial, secret: base32Secret() }],
      })
      expect(imported).toEqual({ imported: 1, tokenSerialNumbers: [serial] })

      const assigned = await helpDesk.assignToken(user.id, {
        tokenSerialNumber: serial,
        tokenName: 'fob',
      })
      expect(assigned).toMatchObject({
        userId: user.id,
        tokenSerialNumber: serial,
        tokenName: 'fob',
        tokenState: 'Activation Pending',
        tokenStatus: 'Disabled',
      })
      const enabled = await helpDesk.enableToken(user.id, { tokenSerialNumber: serial })
      expect(enabled).toMatchObject({
        userId: user.id,
        tokenSerialNumber: serial,
        tokenStatus: 'Enabled',
        tokenStatusChangedBy: t.company.helpDesk.accessID,
      })
      expect(enabled.tokenStatusChangedAt).toMatch(ISO)
    })

    it('imports hardware tokens from a PSKC document (RFC 6030, seed in clear)', async () => {
      const serial = `02${String(Date.now()).slice(-8)}${counter}`
      const seed = Buffer.from('12345678901234567890').toString('base64')
      const pskc = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>${seed}</PlainValue></Secret>
        <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>`
      expect(await admin.importTokensPskc({ pskc }, { dryRun: true })).toEqual({
        imported: 0,
        wouldImport: 1,
      })
      expect(await admin.importTokensPskc({ pskc })).toEqual({
        imported: 1,
        tokenSerialNumbers: [serial],
      })
      await expect(admin.importTokensPskc({ pskc })).rejects.toMatchObject({ status: 409 })
    })

    it('lists, disables, clears the PIN of, unassigns and deletes a hardware token', async () => {
      const user = await admin.createUser({ emailAddress: email('fob2') })
      const serial = `01${String(Date.now()).slice(-8)}${counter}`
      await admin.importTokens({ tokens: [{ tokenSerialNumber: serial, secret: base32Secret() }] })
      await helpDesk.assignToken(user.id, { tokenSerialNumber: serial })
      await helpDesk.enableToken(user.id, { tokenSerialNumber: serial })

      const devices = await helpDesk.listDevices(user.id)
      expect(devices.devices).toEqual([])
      expect(devices.sidTokens).toHaveLength(1)
      expect(devices.sidTokens[0]).toMatchObject({
        userId: user.id,
        tokenSerialNumber: serial,
        tokenStatus: 'Enabled',
        pinSet: 'false',
      })

      const disabled = await helpDesk.disableToken(user.id, { tokenSerialNumber: serial })
      expect(disabled).toMatchObject({ tokenSerialNumber: serial, tokenStatus: 'Disabled' })
      expect(await helpDesk.clearTokenPin(user.id, { tokenSerialNumber: serial })).toEqual({
        userId: user.id,
        tokenSerialNumber: serial,
        pinSet: 'false',
      })
      expect(await helpDesk.unassignToken(user.id, { tokenSerialNumber: serial })).toEqual({
        tokenSerialNumber: serial,
        tokenState: 'Unassigned',
      })
      expect((await helpDesk.listDevices(user.id)).sidTokens).toEqual([])

      await expect(helpDesk.deleteToken({ tokenSerialNumber: serial })).rejects.toMatchObject({
        status: 403,
      })
      expect(await admin.deleteToken({ tokenSerialNumber: serial })).toMatchObject({
        tokenSerialNumber: serial,
        tokenState: 'Unassigned',
      })
      await expect(admin.deleteToken({ tokenSerialNumber: serial })).rejects.toMatchObject({
        status: 404,
      })
    })

    it('searches users (v1 and v2), updates and deletes one', async () => {
      const tag = `search${counter}x${process.pid}`
      const addresses = [`b-${tag}@example.com`, `a-${tag}@example.com`, `c-${tag}@example.com`]
      for (const address of addresses) await admin.createUser({ emailAddress: address })

      const v1 = await helpDesk.searchUsers({ emailLike: tag }, { pageSize: 2 })
      expect(v1.map((user) => user.emailAddress)).toEqual(addresses.slice().sort().slice(0, 2))

      const page = await helpDesk.searchUsersV2({ emailLike: tag, pageSize: 2, pageNumber: 1 })
      expect(page).toMatchObject({ totalElements: 3, totalPages: 2, currentPage: 1, pageSize: 2 })
      expect(page.elements.map((user) => user.emailAddress)).toEqual([`c-${tag}@example.com`])

      const [first] = v1
      const updated = await admin.updateUser(first?.id ?? '', {
        smsNumber: '+15550100',
        lastName: null,
      })
      expect(updated).toMatchObject({ id: first?.id, smsNumber: '+15550100', lastName: null })

      const deleted = await admin.deleteUser(first?.id ?? '')
      expect(deleted).toMatchObject({ userId: first?.id, emailAddress: first?.emailAddress })
      await expect(helpDesk.lookupUser({ email: first?.emailAddress ?? '' })).rejects.toMatchObject(
        {
          status: 404,
        },
      )
    })

    it('imports users from CSV (dry run first)', async () => {
      const address = email('imported')
      const csv = `emailAddress,firstName\n${address},Ivy\n`
      expect(await admin.importUsers(csv, { format: 'csv', dryRun: true })).toEqual({
        imported: 0,
        wouldImport: 1,
      })
      expect(await admin.importUsers(csv, { format: 'csv' })).toEqual({ imported: 1 })
      expect(await helpDesk.lookupUser({ email: address })).toMatchObject({ firstName: 'Ivy' })
      // Every bad row is reported, in the error's body.
      const error = await rejection(admin.importUsers(csv, { format: 'csv' }))
      expect(error).toMatchObject({ status: 400, reason: 'BAD_REQUEST' })
      expect((error as Sdk.TokendeskApiError).body).toMatchObject({
        errors: [expect.objectContaining({ line: 2 })],
      })
    })

    it('registers an Authenticate OTP secret', async () => {
      const user = await admin.createUser({ emailAddress: email('totp') })
      const registration = await helpDesk.registerTotp(user.id)
      expect(registration.otpauthUri).toMatch(/^otpauth:\/\/totp\//)
      expect(registration).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 })
      expect(registration.otpauthUri).toContain(`secret=${registration.secret}`)
    })

    it('creates, lists and revokes an agent key', async () => {
      const agent = await admin.createAgentKey({ description: 'vpn' })
      expect(agent.clientKey.length).toBeGreaterThanOrEqual(40)
      expect(
        (await admin.listAgentKeys()).find((k) => k.clientKeyId === agent.clientKeyId),
      ).toMatchObject({
        description: 'vpn',
        revokedAt: null,
      })
      const revoked = await admin.revokeAgentKey(agent.clientKeyId)
      expect(revoked.clientKeyId).toBe(agent.clientKeyId)
      await expect(helpDesk.createAgentKey()).rejects.toMatchObject({ status: 403 })
    })

    it('exports the admin log and the user event log', async () => {
      const user = await admin.createUser({ emailAddress: email('audited') })
      const log = await helpDesk.exportAdminLog({ pageSize: 100 })
      expect(log.totalElements).toBeGreaterThan(0)
      expect(log.elements.length).toBeGreaterThan(0)
      expect(log.elements[0]?.eventLogDate).toMatch(ISO)
      const all: Sdk.AdminLogEntry[] = []
      for (let page = 0; page < log.totalPages; page += 1) {
        all.push(...(await helpDesk.exportAdminLog({ pageSize: 100, pageNumber: page })).elements)
      }
      expect(JSON.stringify(all)).toContain(user.id)
      const events = await helpDesk.exportUserEventLog({ pageNumber: 0 })
      expect(Array.isArray(events.userEventLogExportEntries)).toBe(true)
    })

    it('disables a user', async () => {
      const user = await admin.createUser({ emailAddress: email('gone') })
      const disabled = await helpDesk.setUserStatus(user.id, { userStatus: 'Disabled' })
      expect(disabled).toMatchObject({ id: user.id, userStatus: 'Disabled' })
      const error = await rejection(helpDesk.enableEmergencyTokencode(user.id))
      expect(error).toMatchObject({ status: 400, description: 'User is disabled.' })
    })

    it('reads and merges company settings', async () => {
      const before = await admin.getCompanySettings()
      const after = await admin.updateCompanySettings({ lockout: { maxFailedAttempts: 7 } })
      expect(after).toEqual({ ...before, lockout: { ...before.lockout, maxFailedAttempts: 7 } })
      expect(await admin.getCompanySettings()).toEqual(after)
      await admin.updateCompanySettings({ lockout: before.lockout })
    })

    it('creates, lists and revokes an API key; the revoked key is refused at once', async () => {
      const keyFile = await admin.createApiKey({ role: 'HELP_DESK_ADMIN', description: 'kiosk' })
      expect(keyFile.accessKey).toContain('PRIVATE KEY')
      const kiosk = sdk.createClient({ keyFile, baseUrl: t.baseUrl })
      const listed = await admin.listApiKeys()
      expect(listed.find((key) => key.accessID === keyFile.accessID)).toMatchObject({
        role: 'HELP_DESK_ADMIN',
        description: 'kiosk',
        revokedAt: null,
      })
      await expect(kiosk.lookupUser({ email: 'nobody@example.com' })).rejects.toMatchObject({
        status: 404,
      })
      const revoked = await admin.revokeApiKey(keyFile.accessID)
      expect(revoked.accessID).toBe(keyFile.accessID)
      const error = await rejection(kiosk.lookupUser({ email: 'nobody@example.com' }))
      expect(error).toBeInstanceOf(sdk.TokendeskApiError)
      expect(error).toMatchObject({
        status: 403,
        code: '403 FORBIDDEN',
        reason: 'FORBIDDEN',
        authentication: true,
      })
      expect((error as Sdk.TokendeskApiError).description).toContain('Access Id')
    })
  })

  describe(`${label}: errors`, () => {
    let t: ListeningApp
    let helpDesk: Sdk.TokendeskClient
    beforeAll(async () => {
      t = await listen()
      helpDesk = sdk.createClient({ keyFile: t.company.helpDesk, baseUrl: t.baseUrl })
    })
    afterAll(() => t?.close())

    it('a business error is a TokendeskApiError with status, code, reason, description, request id', async () => {
      const error = await rejection(helpDesk.lookupUser({ email: 'nobody@example.com' }))
      expect(error).toBeInstanceOf(sdk.TokendeskApiError)
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({
        name: 'TokendeskApiError',
        status: 404,
        code: '404 NOT_FOUND',
        reason: 'NOT_FOUND',
        description: 'User nobody@example.com not found',
        authentication: false,
        message: '404 NOT_FOUND: User nobody@example.com not found',
      })
      expect((error as Sdk.TokendeskApiError).requestId).toBeTruthy()
    })

    it('a role the route refuses is 403 FORBIDDEN (not an authentication failure)', async () => {
      const error = await rejection(helpDesk.createUser({ emailAddress: email('nope') }))
      expect(error).toMatchObject({
        status: 403,
        code: '403 FORBIDDEN',
        description: 'Not authorized to perform the request.',
        authentication: false,
      })
    })

    it('a key file from another deployment (wrong audience) is an authentication failure', async () => {
      const foreign = {
        ...t.company.helpDesk,
        adminRestApiUrl: 'https://elsewhere.example/AdminInterface/restapi/',
      }
      const client = sdk.createClient({ keyFile: foreign, baseUrl: t.baseUrl })
      const error = await rejection(client.lookupUser({ email: 'a@example.com' }))
      expect(error).toMatchObject({ status: 403, authentication: true })
      expect((error as Sdk.TokendeskApiError).description).toContain('Invalid audience')
    })

    it('reads the key file from a path, and refuses a broken one before sending anything', async () => {
      const path = join(t.dir, 'helpdesk.key')
      writeFileSync(path, JSON.stringify(t.company.helpDesk), { mode: 0o600 })
      const client = sdk.createClient({ keyFile: path, baseUrl: t.baseUrl })
      await expect(client.lookupUser({ email: 'x@example.com' })).rejects.toMatchObject({
        status: 404,
      })

      const broken = join(t.dir, 'broken.key')
      writeFileSync(broken, JSON.stringify({ ...t.company.helpDesk, accessKey: 'not a key' }))
      const fetch = vi.fn(globalThis.fetch)
      const bad = sdk.createClient({ keyFile: broken, baseUrl: t.baseUrl, fetch })
      await expect(bad.lookupUser({ email: 'x@example.com' })).rejects.toThrow(
        'accessKey is not a PEM private key',
      )
      expect(() =>
        sdk.createClient({ keyFile: { ...t.company.helpDesk, accessID: 7 } as never }),
      ).toThrow('key file: accessID is missing')
      expect(() =>
        sdk.createClient({ keyFile: { ...t.company.helpDesk, description: 7 } as never }),
      ).toThrow('key file: description is missing')
      expect(fetch).not.toHaveBeenCalled()
    })

    it('uses the key file of a key created without a description (description null)', async () => {
      const admin = sdk.createClient({ keyFile: t.company.superAdmin, baseUrl: t.baseUrl })
      const keyFile = await admin.createApiKey({ role: 'HELP_DESK_ADMIN' })
      expect(keyFile.description).toBeNull()
      const path = join(t.dir, `${keyFile.accessID}.key`)
      writeFileSync(path, JSON.stringify(keyFile), { mode: 0o600 })
      const client = sdk.createClient({ keyFile: path, baseUrl: t.baseUrl })
      await expect(client.lookupUser({ email: 'x@example.com' })).rejects.toMatchObject({
        status: 404,
      })
      await admin.revokeApiKey(keyFile.accessID)
    })
  })

  describe(`${label}: JWT`, () => {
    it('signs RS256 JWTs (sub, aud, iat, exp = iat + 300), reuses one, re-signs before expiry', async () => {
      const t = await listen()
      try {
        const seen: string[] = []
        const fetch: typeof globalThis.fetch = async (input, init) => {
          seen.push(new Headers(init?.headers).get('authorization') ?? '')
          return globalThis.fetch(input, init)
        }
        const key = t.company.helpDesk
        const client = sdk.createClient({ keyFile: key, baseUrl: t.baseUrl, fetch })
        vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
        try {
          await client.lookupUser({ email: 'a@example.com' }).catch(() => undefined)
          await client.lookupUser({ email: 'b@example.com' }).catch(() => undefined)
          vi.setSystemTime(Date.now() + 241_000)
          await client.lookupUser({ email: 'c@example.com' }).catch(() => undefined)
        } finally {
          vi.useRealTimers()
        }
        expect(seen[0]).toBe(seen[1])
        expect(seen[2]).not.toBe(seen[1])
        for (const header of [seen[0], seen[2]]) {
          const token = header?.replace(/^Bearer /, '') ?? ''
          const [h, p, s] = token.split('.')
          expect(decode(h)).toEqual({ alg: 'RS256', typ: 'JWT' })
          const claims = decode(p)
          expect(claims).toMatchObject({ sub: key.accessID, aud: key.adminRestApiUrl })
          expect(claims.exp).toBe((claims.iat as number) + 300)
          const publicKey = createPublicKey(key.accessKey)
          expect(
            verify(
              'sha256',
              Buffer.from(`${h}.${p}`),
              publicKey,
              Buffer.from(s ?? '', 'base64url'),
            ),
          ).toBe(true)
        }
      } finally {
        await t.close()
      }
    })
  })

  describe(`${label}: rate limits`, () => {
    let t: ListeningApp
    let known: string
    beforeAll(async () => {
      t = await listen()
      known = email('known')
      await t.createUser(known)
      // Through the API, which refreshes the server's cached limits at once.
      const response = await t.call('PUT', '/v1/company/settings', {
        rateLimit: { requestsPerSecond: 1, burst: 1 },
      })
      expect(response.statusCode, response.body).toBe(200)
    })
    afterAll(() => t?.close())

    /** A fresh bucket (burst 1, refilled at 1/s): a new key, since buckets are per key. */
    const onePerSecond = async () => {
      const { file } = await t.runtime.services.apiKeys.create(t.cliContext(), {
        role: 'HELP_DESK_ADMIN',
        description: null,
      })
      return file
    }

    const recording = () => {
      const statuses: number[] = []
      const fetch: typeof globalThis.fetch = async (input, init) => {
        const response = await globalThis.fetch(input, init)
        statuses.push(response.status)
        return response
      }
      return { statuses, fetch }
    }

    it('waits Retry-After on 429 and succeeds', async () => {
      const keyFile = await onePerSecond()
      const { statuses, fetch } = recording()
      const client = sdk.createClient({ keyFile, baseUrl: t.baseUrl, fetch, pace: false })
      expect((await client.lookupUser({ email: known })).emailAddress).toBe(known)
      const started = Date.now()
      expect((await client.lookupUser({ email: known })).emailAddress).toBe(known)
      expect(statuses).toEqual([200, 429, 200])
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    })

    it('with retries off, a 429 is a TokendeskApiError with status 429', async () => {
      const keyFile = await onePerSecond()
      const client = sdk.createClient({ keyFile, baseUrl: t.baseUrl, retry: false, pace: false })
      await expect(client.lookupUser({ email: 'a@example.com' })).rejects.toMatchObject({
        status: 404,
      })
      const error = await rejection(client.lookupUser({ email: 'b@example.com' }))
      expect(error).toBeInstanceOf(sdk.TokendeskApiError)
      expect(error).toMatchObject({
        status: 429,
        code: '429 TOO_MANY_REQUESTS',
        description: 'Too many requests.',
      })
    })

    it('does not wait when Retry-After is longer than maxDelayMs: it throws the 429', async () => {
      const keyFile = await onePerSecond()
      const { statuses, fetch } = recording()
      const client = sdk.createClient({
        keyFile,
        baseUrl: t.baseUrl,
        fetch,
        pace: false,
        retry: { maxDelayMs: 500 },
      })
      await client.lookupUser({ email: 'a@example.com' }).catch(() => undefined)
      const started = Date.now()
      await expect(client.lookupUser({ email: 'b@example.com' })).rejects.toMatchObject({
        status: 429,
      })
      expect(statuses).toEqual([404, 429])
      expect(Date.now() - started).toBeLessThan(500)
    })

    it('paces itself on RateLimit-Remaining: 0 instead of running into 429', async () => {
      const keyFile = await onePerSecond()
      const { statuses, fetch } = recording()
      const client = sdk.createClient({ keyFile, baseUrl: t.baseUrl, fetch, retry: false })
      await client.lookupUser({ email: 'a@example.com' }).catch(() => undefined)
      const started = Date.now()
      await expect(client.lookupUser({ email: 'b@example.com' })).rejects.toMatchObject({
        status: 404,
      })
      expect(statuses).toEqual([404, 404])
      expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    })
  })

  describe(`${label}: timeouts and cancellation`, () => {
    let hanging: Server
    let baseUrl: string
    const keyFile = (): Sdk.KeyFile => ({
      customerName: 'Acme',
      accessID: '139f6495-e447-4a26-a765-5c01b6b152d5',
      description: '',
      accessKey: KEY,
      adminRestApiUrl: 'http://tokendesk.test:8080/AdminInterface/restapi/',
    })
    let KEY = ''
    beforeAll(async () => {
      // A throwaway key: these requests never reach a real server.
      KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs1', format: 'pem' })
        .toString()
      // Accepts requests and never answers.
      hanging = createServer(() => {})
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
      baseUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/AdminInterface/restapi/`
    })
    afterAll(async () => {
      hanging.closeAllConnections()
      await new Promise((resolve) => hanging.close(resolve))
    })

    it('gives up after timeoutMs with a TokendeskTimeoutError', async () => {
      const client = sdk.createClient({ keyFile: keyFile(), baseUrl, timeoutMs: 200 })
      const started = Date.now()
      const error = await rejection(client.lookupUser({ email: 'a@example.com' }))
      expect(error).toBeInstanceOf(sdk.TokendeskTimeoutError)
      expect(Date.now() - started).toBeLessThan(5_000)
    })

    it('rejects with the reason of an aborted signal', async () => {
      const client = sdk.createClient({ keyFile: keyFile(), baseUrl })
      const controller = new AbortController()
      const reason = new Error('operator cancelled')
      setTimeout(() => controller.abort(reason), 50)
      await expect(
        client.lookupUser({ email: 'a@example.com' }, { signal: controller.signal }),
      ).rejects.toBe(reason)
    })
  })
}

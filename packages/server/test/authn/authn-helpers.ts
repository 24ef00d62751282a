import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeBase32, encodeBase32, hotp, totpStep } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { TestApp } from '../helpers.js'

export const MFA = '/mfa/v1_1'

/** The SMS/voice messages the file delivery wrote (`outbox.ndjson`), one JSON line each. */
export const outboxLines = (t: TestApp): string[] =>
  readFileSync(join(t.dir, 'outbox.ndjson'), 'utf8').trim().split('\n')

/** The 6-digit code of the last SMS/voice message written to the outbox. */
export const lastOutboxCode = (t: TestApp): string =>
  /(\d{6})/.exec(JSON.parse(outboxLines(t).at(-1) as string).message)?.[1] ?? ''

/** Creates an agent key through the admin API and returns its clear client-key. */
export const agentKey = async (t: TestApp): Promise<string> => {
  const response = await t.call('POST', '/v1/agentkeys', { description: 'test agent' })
  expect(response.statusCode).toBe(201)
  return response.json().clientKey as string
}

export const mfa = (
  t: TestApp,
  key: string | undefined,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> =>
  t.app.inject({
    method: path.startsWith('/authn/resources') ? 'GET' : 'POST',
    url: `${MFA}${path}`,
    headers: {
      ...(key !== undefined && { 'client-key': key }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  })

/** An agent's side of an attempt: keeps the context chain as real clients do. */
export class Agent {
  attemptId = ''
  lastServerMessageId = ''
  private readonly t: TestApp
  private readonly key: string
  constructor(t: TestApp, key: string) {
    this.t = t
    this.key = key
  }

  async initialize(subjectName: string, extra: Record<string, unknown> = {}) {
    const messageId = randomUUID()
    const response = await mfa(this.t, this.key, '/authn/initialize', {
      subjectName,
      clientId: 'test',
      lang: 'en_US',
      authnAttemptTimeout: 180,
      context: { messageId },
      ...extra,
    })
    return this.take(response, messageId)
  }

  async verify(methodId: string, value?: string, extra: Record<string, unknown> = {}) {
    const messageId = randomUUID()
    const input: Record<string, unknown> = { name: methodId }
    if (value !== undefined) {
      input.value = value
      input.dataType = 'STRING'
    }
    const response = await mfa(this.t, this.key, '/authn/verify', {
      subjectCredentials: [{ methodId, collectedInputs: [input] }],
      context: {
        authnAttemptId: this.attemptId,
        messageId,
        inResponseTo: this.lastServerMessageId,
      },
      ...extra,
    })
    return this.take(response, messageId)
  }

  private take(response: LightMyRequestResponse, messageId: string) {
    expect(response.statusCode).toBe(200)
    const body = response.json() as AuthnBody
    expectFullShape(body)
    expect(body.context.inResponseTo).toBe(messageId)
    this.attemptId = body.context.authnAttemptId
    this.lastServerMessageId = body.context.messageId
    return body
  }
}

/** A challenge set as tokendesk sends it. */
export interface ChallengeSet {
  methodSetId: string
  requiredMethods: {
    methodId: string
    displayName: string | null
    priority: number | null
    versions: {
      versionId: string
      methodAttributes: unknown[]
      valueRequired: boolean
      referenceId: string | null
      prompt: { promptResourceId: string; defaultText: string; valueBeingDefined: boolean }
    }[]
  }[]
}

/** `AuthNResponse` (research §1.6), as the tests read it. */
export interface AuthnBody {
  context: { authnAttemptId: string; messageId: string; inResponseTo: string }
  credentialValidationResults: {
    methodId: string
    methodResponseCode: string
    methodReasonCode: string | null
    authnAttributes: unknown[]
  }[]
  attemptResponseCode: string
  attemptReasonCode: string
  challengeMethods: { challenges: ChallengeSet[] }
}

/** Every key real clients dereference (research §1.6, §1.11). */
export const expectFullShape = (body: AuthnBody) => {
  expect(typeof body.context.authnAttemptId).toBe('string')
  expect(typeof body.context.messageId).toBe('string')
  expect(body.context.messageId).not.toBe('')
  expect(typeof body.context.inResponseTo).toBe('string')
  expect(Array.isArray(body.credentialValidationResults)).toBe(true)
  expect(typeof body.attemptResponseCode).toBe('string')
  expect(typeof body.attemptReasonCode).toBe('string')
  expect(Array.isArray(body.challengeMethods.challenges)).toBe(true)
  for (const set of body.challengeMethods.challenges) {
    const method = set.requiredMethods[0]
    if (!method) throw new Error('a challenge set without a method')
    expect(method).toHaveProperty('displayName')
    expect(method).toHaveProperty('priority')
    expect(typeof method.displayName).toBe('string')
    expect(typeof method.priority).toBe('number')
    expect(Array.isArray(method.versions[0]?.methodAttributes)).toBe(true)
  }
  if (body.attemptResponseCode === 'CHALLENGE' && body.credentialValidationResults.length > 0) {
    expect(typeof body.credentialValidationResults[0]?.methodResponseCode).toBe('string')
  }
}

export const challengeIds = (body: AuthnBody): string[] =>
  body.challengeMethods.challenges.map((set) => set.requiredMethods[0]?.methodId ?? '')

/** Registers Authenticate OTP for the user; returns the seed from the otpauth URI. */
export const registerTotp = async (t: TestApp, userId: string): Promise<Uint8Array> => {
  const response = await t.call('POST', `/v1/users/${userId}/authenticators/totp`)
  expect(response.statusCode).toBe(201)
  const body = response.json() as Record<string, unknown>
  // admin-api.md §9: exactly these keys, the seed both in the URI and on its own.
  expect(Object.keys(body).sort()).toEqual([
    'algorithm',
    'digits',
    'otpauthUri',
    'period',
    'secret',
  ])
  expect(body).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 })
  const uri = new URL(body.otpauthUri as string)
  expect(uri.searchParams.get('secret')).toBe(body.secret)
  const seed = decodeBase32(uri.searchParams.get('secret') ?? '')
  if (!seed) throw new Error('no seed in the otpauth URI')
  return seed
}

export const totpNow = (
  seed: Uint8Array,
  nowMs: number,
  offsetSteps = 0,
  period = 30,
  digits = 6,
) => hotp(seed, totpStep(nowMs, period) + offsetSteps, digits)

/** A six-digit code that is none of the seed's codes within ±2 steps of now. */
export const wrongTotp = (seed: Uint8Array, nowMs: number): string => {
  const near = new Set([-2, -1, 0, 1, 2].map((d) => totpNow(seed, nowMs, d)))
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0')
    if (!near.has(code)) return code
  }
}

/** The method of the first challenge set (clients look only at `requiredMethods[0]`). */
export const firstMethod = (body: AuthnBody) => {
  const method = body.challengeMethods.challenges[0]?.requiredMethods[0]
  if (!method) throw new Error('no challenge in the answer')
  return method
}

/** Imports, assigns and enables a hardware token with a known seed (60 s, 6 digits). */
export const hardwareToken = async (
  t: TestApp,
  userId: string,
  serial: string,
): Promise<Uint8Array> => {
  const seed = new Uint8Array(20).map((_, i) => (i * 37 + serial.length) & 0xff)
  const imported = await t.call('POST', '/v1/sidTokens/import', {
    tokens: [{ tokenSerialNumber: serial, secret: encodeBase32(seed) }],
  })
  expect(imported.statusCode).toBe(200)
  expect(
    (await t.call('PATCH', `/v1/users/${userId}/sidTokens/assign`, { tokenSerialNumber: serial }))
      .statusCode,
  ).toBe(200)
  expect(
    (await t.call('PATCH', `/v1/users/${userId}/sidTokens/enable`, { tokenSerialNumber: serial }))
      .statusCode,
  ).toBe(200)
  return seed
}

/** The hardware token's tokencode (60 s, 6 digits) `offset` steps from now. */
export const tokencode = (seed: Uint8Array, nowMs: number, offset = 0): string =>
  hotp(seed, totpStep(nowMs, 60) + offset, 6)

/**
 * A six-digit code that is none of the token's codes within ±10 steps of now: a plain wrong
 * value (a near one would lead to next-tokencode mode instead).
 */
export const wrongTokencode = (seed: Uint8Array, nowMs: number): string => {
  const near = new Set(Array.from({ length: 21 }, (_, i) => tokencode(seed, nowMs, i - 10)))
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0')
    if (!near.has(code)) return code
  }
}

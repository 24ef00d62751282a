import { JwtSigner } from '@tokendesk/client'
import { decodeBase32, TOTP_DIGITS, TOTP_PERIOD_S, totp, totpStep } from '@tokendesk/core'
import type { BenchRequest, Scenario } from './load.js'
import type { Seeded } from './seed.js'

const ADMIN = '/AdminInterface/restapi'
const MFA = '/mfa/v1_1'

/** Round-robin over [from, to). */
const cycle = (from: number, to: number) => {
  let next = from
  return (): number => {
    const i = next
    next = next + 1 >= to ? from : next + 1
    return i
  }
}

const json = (
  method: BenchRequest['method'],
  path: string,
  headers: Record<string, string>,
  body: unknown,
): BenchRequest => ({
  method,
  path,
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

const ok = (status: number): boolean => status === 200

const outcome =
  (code: 'SUCCESS' | 'FAIL') =>
  (status: number, body: string): boolean =>
    status === 200 && body.includes(`"attemptResponseCode":"${code}"`)

/** The bare route: a POST with a JSON body answering `payload` (the lookup's answer). */
export const bareScenario = (payload: { email: string }): Scenario => ({
  name: 'bare Fastify route',
  kind: 'baseline',
  next: () => json('POST', '/bare', {}, payload),
  expected: ok,
})

/** Lookup and unlock: the scenarios run at every data size. */
export const adminScenarios = (seeded: Seeded, writeFrom: number): Scenario[] => {
  // One JWT for the run, as a busy client reuses one until shortly before `exp`: the server's
  // verified-token cache is part of what is measured.
  const signer = new JwtSigner(seeded.keyFile, {
    lifetimeSeconds: 3600,
    refreshBeforeSeconds: 60,
    now: Date.now,
  })
  const auth = { authorization: `Bearer ${signer.token()}` }
  const users = seeded.userIds.length
  const anyUser = cycle(0, users)
  const writeUser = cycle(writeFrom, users)
  return [
    {
      name: 'user lookup',
      kind: 'read',
      next: () =>
        json('POST', `${ADMIN}/v1/users/lookup`, auth, { email: seeded.emails[anyUser()] }),
      expected: ok,
    },
    {
      name: 'unlock methods',
      kind: 'write',
      next: () =>
        json('PATCH', `${ADMIN}/v1/users/${seeded.userIds[writeUser()]}/methods`, auth, {
          unlockMethods: ['TOKEN', 'SMS', 'VOICE'],
        }),
      expected: ok,
    },
  ]
}

/** Emergency-code and token writes (need the full seed). */
export const writeScenarios = (seeded: Seeded, writeFrom: number): Scenario[] => {
  const signer = new JwtSigner(seeded.keyFile, {
    lifetimeSeconds: 3600,
    refreshBeforeSeconds: 60,
    now: Date.now,
  })
  const auth = { authorization: `Bearer ${signer.token()}` }
  const writeUser = cycle(writeFrom, seeded.userIds.length)
  const tokens = seeded.tokenSerials.length
  let tokenRequest = 0
  return [
    {
      name: 'enable EAC v1',
      kind: 'write',
      next: () =>
        json('PUT', `${ADMIN}/v1/users/${seeded.userIds[writeUser()]}/emergencyTokencode`, auth, {
          expirationDays: '2',
        }),
      expected: ok,
    },
    {
      // Enabling an enabled token changes nothing (admin-api.md §8.1), so every pass over the
      // tokens alternates enable and disable: each request is a real status change.
      name: 'enable/disable token',
      kind: 'write',
      next: () => {
        const i = tokenRequest++
        const token = i % tokens
        const action = Math.floor(i / tokens) % 2 === 0 ? 'enable' : 'disable'
        return json(
          'PATCH',
          `${ADMIN}/v1/users/${seeded.userIds[seeded.tokenFrom + token]}/sidTokens/${action}`,
          auth,
          { tokenSerialNumber: seeded.tokenSerials[token] },
        )
      },
      expected: ok,
    },
  ]
}

const initialize = (
  clientKey: string | undefined,
  subjectName: string,
  methodId: string,
  value: string,
  n: number,
): BenchRequest =>
  json(
    'POST',
    `${MFA}/authn/initialize`,
    { 'client-key': clientKey ?? '' },
    {
      subjectName,
      authMethodId: methodId,
      subjectCredentials: [
        { methodId, collectedInputs: [{ name: methodId, value, dataType: 'STRING' }] },
      ],
      context: { messageId: `bench-${n}` },
      keepAttempt: false,
    },
  )

/** Single-step verification on the authentication API: TOTP, emergency code, wrong code. */
export const verifyScenarios = (seeded: Seeded): Scenario[] => {
  const keys = seeded.totpSecrets.map((secret) => decodeBase32(secret) as Uint8Array)
  const lastStep = new Array<number>(keys.length).fill(0)
  const totpUser = cycle(0, keys.length)
  const eacUser = cycle(0, seeded.eacCodes.length)
  const agent = cycle(0, seeded.clientKeys.length)
  const clientKey = () => seeded.clientKeys[agent()]
  let n = 0
  // A TOTP step is accepted once per user, within ±1 step of the server's clock. Each user gives
  // the load generator two codes per step: the current step's, then the next one's (never the
  // previous step's, which a slow answer could carry past the window).
  let exhaustedWarned = false
  const nextTotp = (): { user: number; code: string } => {
    const current = totpStep(Date.now(), TOTP_PERIOD_S)
    for (let tries = 0; tries < keys.length; tries++) {
      const user = totpUser()
      const step = Math.max((lastStep[user] as number) + 1, current)
      if (step > current + 1) continue
      lastStep[user] = step
      return {
        user,
        code: totp(
          keys[user] as Uint8Array,
          step * TOTP_PERIOD_S * 1000,
          TOTP_PERIOD_S,
          TOTP_DIGITS,
        ),
      }
    }
    // Every user has used both codes: send a replay (answered FAIL, so counted as an unexpected
    // answer in the results) rather than stop the run; more users (BENCH_USERS) avoid it.
    if (!exhaustedWarned) {
      exhaustedWarned = true
      process.stderr.write('  warning: TOTP users exhausted for this step: replays follow\n')
    }
    const user = totpUser()
    return {
      user,
      code: totp(
        keys[user] as Uint8Array,
        current * TOTP_PERIOD_S * 1000,
        TOTP_PERIOD_S,
        TOTP_DIGITS,
      ),
    }
  }
  return [
    {
      name: 'verify TOTP',
      kind: 'verify',
      next: () => {
        const { user, code } = nextTotp()
        return initialize(clientKey(), seeded.emails[user] as string, 'TOKEN', code, n++)
      },
      expected: outcome('SUCCESS'),
      readsBody: true,
    },
    {
      name: 'verify EAC',
      kind: 'verify',
      next: () => {
        const i = eacUser()
        return initialize(
          clientKey(),
          seeded.emails[seeded.eacFrom + i] as string,
          'EMERGENCY_TOKENCODE',
          seeded.eacCodes[i] as string,
          n++,
        )
      },
      expected: outcome('SUCCESS'),
      readsBody: true,
    },
    {
      // A wrong code: counted toward the lockout (20 in the bench company), audited, FAIL.
      name: 'verify wrong TOTP',
      kind: 'verify',
      next: () => {
        const user = totpUser()
        return initialize(clientKey(), seeded.emails[user] as string, 'TOKEN', '000000', n++)
      },
      expected: outcome('FAIL'),
      readsBody: true,
    },
  ]
}

import { randomUUID } from 'node:crypto'
import type { ApiKeyFile, Store } from '@tokendesk/core'
import Database from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import { describe, expect, it } from 'vitest'
import { ADMIN_LOG, get } from '../audit/audit-helpers.js'
import {
  ADMIN,
  buildTestApp,
  capturingLogger,
  manualClock,
  signJwt,
  storeWith,
  type TestApp,
} from '../helpers.js'

/**
 * admin-api.md §3: "Failed authentications are rate limited per client address (see §5) and
 * audited." A failure whose token names an API key (its `sub`, revoked keys included) is written
 * to that key's company trail as `api_key.authentication_failed`, with the reason and the
 * address, never the token; a token that names no key is only logged. Only failures within the
 * address's budget are written, and the 403 is the same whatever the write does.
 */

const PATH = `${ADMIN}/v1/company/settings`
const FAILURE_KEY = 'ADMIN_API_KEY_AUTHENTICATION_FAILURE'
const PROCESS_FAILED = 'Server failed to process provided access token'

const from = (t: TestApp, remoteAddress: string, token: string) =>
  t.app.inject({
    method: 'GET',
    url: PATH,
    remoteAddress,
    headers: { authorization: `Bearer ${token}` },
  })

/** The Spring-style 403 of admin-api.md §3, exactly. */
const expectSpring403 = (response: LightMyRequestResponse, message: string | RegExp) => {
  expect(response.statusCode, response.body).toBe(403)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'path', 'status', 'timestamp'])
  expect(body).toMatchObject({ status: 403, error: 'Forbidden', path: PATH })
  expect(typeof body.timestamp).toBe('number')
  if (typeof message === 'string') expect(body.message).toBe(message)
  else expect(body.message).toMatch(message)
}

/** The failure entries of a company's admin log export (read with a valid key). */
const failuresIn = async (t: TestApp, key: ApiKeyFile) => {
  const response = await get(t, ADMIN_LOG, key)
  expect(response.statusCode, response.body).toBe(200)
  return (response.json().elements as Array<Record<string, unknown>>).filter(
    (entry) => entry.activityKey === FAILURE_KEY,
  )
}

/** Every stored failure event, of every company, as its row's JSON. */
const storedFailures = (t: TestApp): string[] => {
  const db = new Database(t.databaseFile, { readonly: true, fileMustExist: true })
  try {
    return (
      db
        .prepare("select * from audit_events where action = 'api_key.authentication_failed'")
        .all() as unknown[]
    ).map((row) => JSON.stringify(row))
  } finally {
    db.close()
  }
}

describe('failed authentications in the audit trail (admin-api.md §3)', () => {
  it('each failing rule of a token naming a key: the same 403, one event with reason and address', async () => {
    const clock = manualClock()
    const t = await buildTestApp({ clock })
    const key = t.company.superAdmin
    const now = clock.now()
    const cases: Array<[reason: string, token: string, message: string | RegExp]> = [
      [
        'signature',
        await signJwt({ ...key, accessKey: t.company.helpDesk.accessKey }, {}, {}, now),
        PROCESS_FAILED,
      ],
      ['expired', await signJwt(key, {}, {}, now - 2 * 3_600_000), /expired/],
      ['audience', await signJwt(key, { aud: 'https://elsewhere.example' }, {}, now), /audience/],
      ['alg', await signJwt(key, {}, { typ: 'JOSE' }, now), /^Unsupported token/],
    ]
    for (const [, token, message] of cases) {
      expectSpring403(await from(t, '192.0.2.10', token), message)
    }

    const entries = await failuresIn(t, key)
    expect(entries.map((entry) => entry.reasonKey)).toEqual(cases.map(([reason]) => reason))
    for (const entry of entries) {
      expect(entry).toMatchObject({
        activityCode: 89012,
        result: 'FAIL',
        sourceIPAddress: '192.0.2.10',
        adminUserName: key.accessID,
        adminUserRole: 'Super Administrator',
        message: `Authentication with Administration API key ${key.accessID} failed`,
        targetObject1Name: key.accessID,
        targetObject1Type: 'API_KEY',
      })
    }
    // Never the token, not even its signature.
    const stored = storedFailures(t).join('\n')
    for (const [, token] of cases) {
      expect(stored).not.toContain(token.split('.')[2])
      expect(stored).not.toContain(token.split('.')[1])
    }
  })

  it('a revoked key: audited in its own company; a token naming no key: only logged', async () => {
    const { logger, lines } = capturingLogger()
    const t = await buildTestApp({ logger })
    const beta = await t.addCompany('Beta')
    const { file: revoked } = await t.runtime.services.apiKeys.create(t.cliContext(beta.id), {
      role: 'HELP_DESK_ADMIN',
    })
    await t.runtime.services.apiKeys.revoke(t.cliContext(beta.id), revoked.accessID)

    expectSpring403(await from(t, '192.0.2.20', await signJwt(revoked)), /Access Id/)
    const unknown = await signJwt({ ...t.company.superAdmin, accessID: randomUUID() })
    expectSpring403(await from(t, '192.0.2.20', unknown), /Access Id/)
    expectSpring403(await from(t, '192.0.2.20', 'not.a.token'), PROCESS_FAILED)
    expectSpring403(
      await from(t, '192.0.2.20', await signJwt({ ...t.company.superAdmin, accessID: 'nobody' })),
      /Access Id/,
    )

    const inBeta = await failuresIn(t, beta.superAdmin)
    expect(inBeta).toHaveLength(1)
    expect(inBeta[0]).toMatchObject({
      reasonKey: 'revoked',
      adminUserName: revoked.accessID,
      adminUserRole: 'Help Desk Administrator',
      sourceIPAddress: '192.0.2.20',
      result: 'FAIL',
    })
    expect(await failuresIn(t, t.company.superAdmin)).toEqual([])
    expect(storedFailures(t)).toHaveLength(1)
    // The failures no trail takes are in the log (the reason, never the token).
    const logged = lines.filter((line) => line.msg === 'authentication failed')
    expect(logged.map((line) => line.reason)).toEqual([
      'revoked',
      'unknown_access_id',
      'malformed',
      'unknown_access_id',
    ])
    expect(JSON.stringify(lines)).not.toContain(unknown.split('.')[2])
  })

  it('only failures within the address budget are written: then 429 and nothing', async () => {
    const t = await buildTestApp({ env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '3' } })
    const bad = await signJwt(t.company.superAdmin, { aud: 'https://elsewhere.example' })
    for (let i = 1; i <= 3; i++) expectSpring403(await from(t, '192.0.2.30', bad), /audience/)
    for (let i = 1; i <= 5; i++) {
      expect((await from(t, '192.0.2.30', bad)).statusCode, `failure ${i + 3}`).toBe(429)
    }
    expect(storedFailures(t)).toHaveLength(3)
  })

  it('and within the claimed key budget: failures from many addresses write no more', async () => {
    const { logger, lines } = capturingLogger()
    const t = await buildTestApp({ env: { TOKENDESK_AUTH_FAILURES_PER_MINUTE: '3' }, logger })
    const bad = await signJwt(t.company.superAdmin, { aud: 'https://elsewhere.example' })
    // Ten addresses, each within its own budget: each answered 403, three written for the key.
    for (let i = 0; i < 10; i++)
      expectSpring403(await from(t, `192.0.2.${50 + i}`, bad), /audience/)
    expect(storedFailures(t)).toHaveLength(3)
    const logged = lines.filter((line) => line.msg === 'authentication failed')
    expect(logged).toHaveLength(10)
    // Another key has a budget of its own.
    const other = await signJwt(t.company.helpDesk, { aud: 'https://elsewhere.example' })
    expectSpring403(await from(t, '192.0.2.70', other), /audience/)
    expect(storedFailures(t)).toHaveLength(4)
  })

  it('an audit write that fails is logged; the answer is the same 403', async () => {
    let failWrites = false
    const wrapStore = (store: Store): Store =>
      storeWith(store, {
        transaction: (work) =>
          failWrites ? Promise.reject(new Error('disk I/O error')) : store.transaction(work),
      })
    const { logger, lines } = capturingLogger()
    const t = await buildTestApp({ wrapStore, logger })
    const bad = await signJwt({ ...t.company.superAdmin, accessKey: t.company.helpDesk.accessKey })

    failWrites = true
    expectSpring403(await from(t, '192.0.2.40', bad), PROCESS_FAILED)
    failWrites = false
    expect(storedFailures(t)).toEqual([])
    const logged = lines.find(
      (line) => line.msg === 'the failed authentication could not be audited',
    )
    expect(logged?.level).toBe(50)
    expect(JSON.stringify(logged)).toContain('disk I/O error')

    // Written again once storage works.
    expectSpring403(await from(t, '192.0.2.40', bad), PROCESS_FAILED)
    expect(storedFailures(t)).toHaveLength(1)
  })
})

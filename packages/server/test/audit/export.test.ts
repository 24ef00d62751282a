/**
 * The admin and user event log exports (rsa-authn-and-logs.md Part 2, binding): envelope, entry
 * fields, parameters and every timestamp form real clients send, paths as they spell them.
 */
import { describe, expect, it } from 'vitest'
import {
  buildTestApp,
  manualClock,
  PUBLIC_URL,
  type TestApp,
  useSharedTestApp,
} from '../helpers.js'
import { ADMIN_LOG, adminEvent, appendAll, get, USER_LOG, userEvent } from './audit-helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 45) // 2026-11-23T10:00:00.045Z
const MINUTE = 60_000

/** The test company plus ten user events, one a minute before NOW (the oldest first). */
const withUserEvents = async (): Promise<TestApp> => {
  const t = await buildTestApp({ clock: manualClock(NOW) })
  await appendAll(
    t,
    Array.from({ length: 10 }, (_, i) =>
      userEvent(t.company.id, NOW - (10 - i) * MINUTE, { details: { method: 'TOKEN', i } }),
    ),
  )
  return t
}

const ids = (response: { json(): unknown }, key = 'userEventLogExportEntries'): number[] =>
  ((response.json() as Record<string, { eventId: number }[]>)[key] ?? []).map((e) => e.eventId)

describe('GET /v1/adminlog/exportlogs', () => {
  it('writes every change made through the API, with the documented envelope and fields', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const userId = await t.createUser('ada@example.com')
    const response = await get(t, ADMIN_LOG, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body)).toEqual([
      'totalPages',
      'totalElements',
      'pageSize',
      'currentPage',
      'elements',
    ])
    // company.created, two api_key.created (the test company's keys), user.created.
    expect(body).toMatchObject({ totalPages: 1, totalElements: 4, pageSize: 100, currentPage: 0 })
    const created = body.elements.at(-1)
    expect(created).toEqual({
      eventId: expect.any(Number),
      eventLogDate: '2026-11-23T10:00:00.045Z',
      eventType: 'Administration',
      serverURL: `${PUBLIC_URL}/AdminInterface/`,
      serverIPAddress: null,
      application: 'tokendesk',
      customerId: null,
      customerName: 'Acme',
      sourceIPAddress: '127.0.0.1',
      adminUserName: t.company.superAdmin.accessID,
      adminUserRole: 'Super Administrator',
      activityKey: 'ADD_USER',
      activityCode: 89020,
      result: 'SUCCESS',
      reasonKey: '',
      message: `${t.company.superAdmin.accessID} added user ${userId}`,
      requiresPublish: false,
      targetObject1Id: null,
      targetObject1Name: userId,
      targetObject1Type: 'USER',
      targetObject2Id: null,
      targetObject2Name: null,
      targetObject2Type: null,
    })
    expect(body.elements.map((e: { activityKey: string }) => e.activityKey)).toEqual([
      'CREATE_COMPANY',
      'ADD_ADMIN_API_KEY',
      'ADD_ADMIN_API_KEY',
      'ADD_USER',
    ])
    // The test company and its keys were made through the CLI's services.
    expect(body.elements[0]).toMatchObject({ adminUserName: 'CLI', adminUserRole: null })
    // The raw JSON carries the id as an integer, not a string.
    expect(response.body).toMatch(new RegExp(`"eventId":${created.eventId},`))
  })

  it('shows one company its own events only', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const other = await t.addCompany('Globex')
    await t.createUser()
    const mine = (await get(t, ADMIN_LOG)).json()
    const theirs = (await get(t, ADMIN_LOG, other.superAdmin)).json()
    expect(mine.totalElements).toBe(4)
    expect(theirs.totalElements).toBe(3)
    expect(new Set(theirs.elements.map((e: { customerName: string }) => e.customerName))).toEqual(
      new Set(['Globex']),
    )
  })

  it('writes a failure with FAIL and its reason', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await appendAll(t, [
      adminEvent(t.company.id, NOW - 1, { result: 'failure', reason: 'KEY_REVOKED' }),
    ])
    const [entry] = (await get(t, `${ADMIN_LOG}?startTimeAfter=2026-11-23T09:00:00Z`)).json()
      .elements
    expect(entry).toMatchObject({
      result: 'FAIL',
      reasonKey: 'KEY_REVOKED',
      adminUserName: 'CLI',
      activityKey: 'CHANGE_USER_STATUS',
    })
  })
})

describe('GET /v1/usereventlog/exportlogs', () => {
  it('answers the user events with the documented envelope and entry fields', async () => {
    const t = await withUserEvents()
    const response = await get(t, USER_LOG, t.company.helpDesk)
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body)).toEqual([
      'totalPages',
      'totalElements',
      'pageSize',
      'currentPage',
      'userEventLogExportEntries',
    ])
    expect(body).toMatchObject({ totalPages: 1, totalElements: 10, pageSize: 100, currentPage: 0 })
    expect(body.userEventLogExportEntries[0]).toEqual({
      eventId: expect.any(Number),
      eventLogDate: '2026-11-23T09:50:00.045Z',
      eventType: 'user',
      eventLevel: 'notice',
      eventCategory: 'Authentication',
      serverIPAddress: null,
      tenantId: t.company.id,
      customerName: 'Acme',
      userId: '5b0c1c8e-3d0a-4f43-9a55-2f0f4a3d8f2e',
      sourceIPAddress: '192.0.2.7',
      eventCode: '90001',
      eventDescription: 'Authentication succeeded.',
      application: null,
      method: 'TOKEN',
      deviceName: null,
      deviceId: null,
      policyId: null,
      policyName: null,
      authenticationDetails: 'CREDENTIAL_VERIFIED',
      assuranceLevel: null,
      verboseFlag: null,
      userActivityId: null,
      transactionId: null,
    })
  })

  it('codes a failure by its reason (RSA codes 31, 32, 35) and keeps admin events out', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const failed = (reason: string) =>
      userEvent(t.company.id, NOW - 1, { action: 'authn.failed', result: 'failure', reason })
    await appendAll(t, [
      failed('USER_NOT_FOUND'),
      failed('USER_DISABLED'),
      failed('METHOD_LOCKED'),
      failed('CODE_REJECTED'),
    ])
    const body = (await get(t, USER_LOG)).json()
    expect(body.totalElements).toBe(4)
    expect(
      body.userEventLogExportEntries.map((e: { eventCode: string; eventLevel: string }) => [
        e.eventCode,
        e.eventLevel,
      ]),
    ).toEqual([
      ['31', 'error'],
      ['32', 'error'],
      ['35', 'error'],
      ['90002', 'error'],
    ])
    // And the user events are not admin events.
    expect((await get(t, ADMIN_LOG)).json().totalElements).toBe(3)
  })

  it('answers an empty log while there are no user events', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    expect((await get(t, USER_LOG)).json()).toEqual({
      totalPages: 0,
      totalElements: 0,
      pageSize: 100,
      currentPage: 0,
      userEventLogExportEntries: [],
    })
  })
})

describe('export parameters', () => {
  // Read-only tests: one app and its ten user events for all of them.
  const shared = useSharedTestApp({ clock: manualClock(NOW) })
  let seeded: Promise<void> | undefined
  const withUserEvents = async (): Promise<TestApp> => {
    const t = shared()
    seeded ??= appendAll(
      t,
      Array.from({ length: 10 }, (_, i) =>
        userEvent(t.company.id, NOW - (10 - i) * MINUTE, { details: { method: 'TOKEN', i } }),
      ),
    )
    await seeded
    return t
  }

  it('takes startTimeAfter as exclusive and endTimeOnOrBefore as inclusive', async () => {
    const t = await withUserEvents()
    const all = ids(await get(t, USER_LOG))
    // Events at 09:50:00.045 … 09:59:00.045.
    const response = await get(
      t,
      `${USER_LOG}?startTimeAfter=2026-11-23T09:51:00.045Z&endTimeOnOrBefore=2026-11-23T09:54:00.045Z`,
    )
    expect(ids(response)).toEqual(all.slice(2, 5))
  })

  it('reads every timestamp form the real clients send', async () => {
    const t = await withUserEvents()
    const all = ids(await get(t, USER_LOG))
    // Each names 09:54:00.045Z (startTimeAfter: the last five events follow it).
    const forms = [
      '2026-11-23T09:54:00.045Z', // PowerShell, Splunk checkpoint (eventLogDate as written)
      '2026-11-23T09:54:00.045z', // Splunk's first run: lower-case z
      '2026-11-23T11:54:00.045%2B02:00', // rsa-ingo Java: local zone, URL-encoded
      '2026-11-23T11:54:00.045+02:00', // Azure function v1.0: raw '+', decoded to a space
      '2026-11-23T09:54:00.045%2D00:00', // Azure function later revision: %2D
      '2026-11-23T09:54:00.45-00:00', // syslog-ng: ms not zero-padded (45 ms)
      '2026-11-23T11:54:00.045+0200', // ±hhmm
      '2026-11-23T09:54:00.045', // no zone: UTC
      '2026-11-23T09:54:00.045123456Z', // nine fraction digits
    ]
    for (const form of forms) {
      const response = await get(t, `${USER_LOG}?startTimeAfter=${form}`)
      expect(response.statusCode, form).toBe(200)
      expect(ids(response), form).toEqual(all.slice(5))
    }
    // No milliseconds at all (CCF's default format): 09:54:00.000 < 09:54:00.045.
    const whole = await get(t, `${USER_LOG}?startTimeAfter=2026-11-23T09:54:00Z`)
    expect(ids(whole)).toEqual(all.slice(4))
    // syslog-ng's single-digit milliseconds: .7 is 7 ms, so 09:54:00.007 < .045.
    const seven = await get(t, `${USER_LOG}?startTimeAfter=2026-11-23T09:54:00.7-00:00`)
    expect(ids(seven)).toEqual(all.slice(4))
  })

  it('pages from zero, clamps pageSize to 100, and answers a page past the end with 200 []', async () => {
    const t = await withUserEvents()
    const all = ids(await get(t, USER_LOG))
    const page1 = await get(t, `${USER_LOG}?pageSize=4&pageNumber=1`)
    expect(page1.json()).toMatchObject({
      totalPages: 3,
      totalElements: 10,
      pageSize: 4,
      currentPage: 1,
    })
    expect(ids(page1)).toEqual(all.slice(4, 8))
    expect(ids(await get(t, `${USER_LOG}?pageSize=4&pageNumber=2`))).toEqual(all.slice(8))
    const past = await get(t, `${USER_LOG}?pageSize=4&pageNumber=3`)
    expect(past.statusCode).toBe(200)
    expect(past.json()).toMatchObject({ totalPages: 3, currentPage: 3 })
    expect(ids(past)).toEqual([])
    const far = await get(t, `${USER_LOG}?pageNumber=999999999999`)
    expect(far.statusCode).toBe(200)
    expect(ids(far)).toEqual([])
    const clamped = await get(t, `${USER_LOG}?pageSize=1000`)
    expect(clamped.json()).toMatchObject({ pageSize: 100, totalPages: 1 })
  })

  it('ignores parameters it does not know (the Azure app sends page=2)', async () => {
    const t = await withUserEvents()
    const response = await get(t, `${USER_LOG}?page=2&pageSize=3`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ currentPage: 0, totalPages: 4 })
  })

  it.each([
    ['pageSize=0', 'pageSize'],
    ['pageSize=-5', 'pageSize'],
    ['pageSize=abc', 'pageSize'],
    ['pageSize=1.5', 'pageSize'],
    ['pageNumber=-1', 'pageNumber'],
    ['pageNumber=x', 'pageNumber'],
    ['pageNumber=1&pageNumber=2', 'pageNumber'],
    ['startTimeAfter=yesterday', 'startTimeAfter'],
    ['startTimeAfter=2026-11-23', 'startTimeAfter'],
    ['startTimeAfter=2026-02-30T10:00:00Z', 'startTimeAfter'],
    ['startTimeAfter=2026-11-23T24:00:00Z', 'startTimeAfter'],
    ['endTimeOnOrBefore=1732356000000', 'endTimeOnOrBefore'],
    ['endTimeOnOrBefore=2026-11-23T10:00:00+25:00', 'endTimeOnOrBefore'],
  ])('answers %s with 400 in the business shape', async (query, name) => {
    const t = await withUserEvents()
    for (const log of [USER_LOG, ADMIN_LOG]) {
      const response = await get(t, `${log}?${query}`)
      expect(response.statusCode, `${log}?${query}`).toBe(400)
      expect(response.json()).toEqual({ code: '400 BAD_REQUEST', description: expect.any(String) })
      expect(response.json().description).toContain(name)
    }
  })
})

describe('export paths', () => {
  it.each([
    '/AdminInterface/restapi/v1/adminlog/exportLogs', // RSA's Sentinel connector placeholder
    '/AdminInterface/restapi//v1/adminlog/exportlogs', // Splunk: adminRestApiUrl + "/v1/…"
    '/admininterface//RESTAPI/v1//AdminLog/ExportLogs',
  ])('matches %s case-insensitively with repeated slashes collapsed', async (path) => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const response = await get(t, `${path}?pageSize=1`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ totalElements: 3, pageSize: 1 })
    expect(response.json().elements).toHaveLength(1)
  })

  it('leaves every other path case-sensitive', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    expect((await get(t, '/AdminInterface/restapi/v1/company/Settings')).statusCode).toBe(404)
    expect((await get(t, `${ADMIN_LOG}/extra`)).statusCode).toBe(404)
  })

  it('is read by both roles, and refuses a bad token with the Spring-style 403', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    for (const key of [t.company.superAdmin, t.company.helpDesk]) {
      expect((await get(t, ADMIN_LOG, key)).statusCode).toBe(200)
      expect((await get(t, USER_LOG, key)).statusCode).toBe(200)
    }
    const denied = await t.app.inject({ method: 'GET', url: `${ADMIN_LOG.toLowerCase()}` })
    expect(denied.statusCode).toBe(403)
    expect(denied.json()).toMatchObject({ status: 403, error: 'Forbidden' })
  })

  it('serves the syslog-ng request headers (a Content-Type on a GET without a body)', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    const response = await get(t, ADMIN_LOG, t.company.superAdmin, {
      'content-type': 'application/application-json',
      accept: 'application/json',
    })
    expect(response.statusCode).toBe(200)
  })
})

/**
 * Retention (rsa-authn-and-logs.md §2.1: admin events 90 days, user events 40): expired
 * events are purged in bounded batches, and the chains still verify from their anchors.
 */
import { describe, expect, it } from 'vitest'
import { startAuditPurge } from '../../src/audit-purge.js'
import { ConfigError, loadConfig } from '../../src/config/load.js'
import { buildTestApp, manualClock, type TestApp } from '../helpers.js'
import { ADMIN_LOG, adminEvent, appendAll, get, USER_LOG, userEvent } from './audit-helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 45)
const DAY = 86_400_000

const exported = async (t: TestApp, path: string): Promise<number> =>
  (await get(t, `${path}?startTimeAfter=2000-01-01T00:00:00Z`)).json().totalElements

const intact = async (t: TestApp) =>
  (await t.runtime.services.audit.verify(t.company.id)).map((r) => [r.kind, r.break])

describe('audit retention', () => {
  it('keeps admin events 90 days and user events 40 days by default', async () => {
    // The company and its keys were set up 200 days ago (three admin events then).
    const clock = manualClock(NOW - 200 * DAY)
    const t = await buildTestApp({ clock })
    const id = t.company.id
    await appendAll(t, [
      adminEvent(id, NOW - 91 * DAY),
      userEvent(id, NOW - 41 * DAY),
      adminEvent(id, NOW - 89 * DAY),
      userEvent(id, NOW - 39 * DAY),
    ])
    clock.set(NOW)
    expect(await exported(t, ADMIN_LOG)).toBe(5)
    expect(await exported(t, USER_LOG)).toBe(2)

    expect(await t.runtime.services.audit.purgeExpired(NOW, 1000)).toBe(5)
    expect(await exported(t, ADMIN_LOG)).toBe(1)
    expect(await exported(t, USER_LOG)).toBe(1)
    // The oldest retained event of each chain now follows the anchor the purge recorded.
    expect(await intact(t)).toEqual([
      ['admin', undefined],
      ['user', undefined],
    ])
    expect(await t.runtime.services.audit.purgeExpired(NOW, 1000)).toBe(0)
  })

  it('deletes at most batchSize events per call', async () => {
    const t = await buildTestApp({ clock: manualClock(NOW) })
    await appendAll(
      t,
      Array.from({ length: 25 }, (_, i) => userEvent(t.company.id, NOW - 50 * DAY + i)),
    )
    const { audit } = t.runtime.services
    expect(await audit.purgeExpired(NOW, 10)).toBe(10)
    expect(await audit.purgeExpired(NOW, 10)).toBe(10)
    expect(await audit.purgeExpired(NOW, 10)).toBe(5)
    expect(await audit.purgeExpired(NOW, 10)).toBe(0)
    expect(await exported(t, USER_LOG)).toBe(0)
    // Emptied by retention, not by tampering: the chain still verifies, and goes on.
    await appendAll(t, [userEvent(t.company.id, NOW)])
    expect(await intact(t)).toEqual([
      ['admin', undefined],
      ['user', undefined],
    ])
  })

  it('follows TOKENDESK_AUDIT_ADMIN_RETENTION_DAYS and TOKENDESK_AUDIT_USER_RETENTION_DAYS', async () => {
    const t = await buildTestApp({
      clock: manualClock(NOW),
      env: {
        TOKENDESK_AUDIT_ADMIN_RETENTION_DAYS: '365',
        TOKENDESK_AUDIT_USER_RETENTION_DAYS: '2',
      },
    })
    await appendAll(t, [
      adminEvent(t.company.id, NOW - 300 * DAY),
      userEvent(t.company.id, NOW - 3 * DAY),
    ])
    const admin = await exported(t, ADMIN_LOG)
    expect(await t.runtime.services.audit.purgeExpired(NOW, 100)).toBe(1)
    expect(await exported(t, ADMIN_LOG)).toBe(admin)
    expect(await exported(t, USER_LOG)).toBe(0)
  })

  it('is run by the server’s purge timer, batch after batch', async () => {
    const clock = manualClock(NOW - 200 * DAY)
    const t = await buildTestApp({ clock })
    await appendAll(
      t,
      Array.from({ length: 12 }, (_, i) => adminEvent(t.company.id, NOW - 100 * DAY + i)),
    )
    clock.set(NOW)
    expect(await exported(t, ADMIN_LOG)).toBe(15)
    const purge = startAuditPurge(t.runtime, { firstRunMs: 0, batchSize: 5 })
    try {
      await expect.poll(() => exported(t, ADMIN_LOG), { timeout: 5_000 }).toBe(0)
    } finally {
      await purge.stop()
    }
    expect(await purge.runOnce()).toBe(0)
  })

  it('refuses a retention that is not a whole number of days, naming the variable', () => {
    const error = (() => {
      try {
        loadConfig({ env: { TOKENDESK_AUDIT_USER_RETENTION_DAYS: '0' } })
        return undefined
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems.join('\n')).toContain(
      'TOKENDESK_AUDIT_USER_RETENTION_DAYS',
    )
    expect(loadConfig({ env: {} })).toMatchObject({
      auditAdminRetentionDays: 90,
      auditUserRetentionDays: 40,
    })
  })
})

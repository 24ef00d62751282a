/**
 * A change and its audit event commit together or not at all (operations.md, Storage): a
 * failure between the change and its audit write leaves neither, and the chain stays intact.
 */
import type { Store } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { buildTestApp, storeWith, type TestApp } from '../helpers.js'

const failingAudit = () => {
  let failing = false
  const wrapStore = (store: Store): Store =>
    storeWith(store, {
      inTransaction: (tx) => ({
        ...tx,
        audit: {
          ...tx.audit,
          // The change itself has been written by now, in this same transaction.
          append: async (event) => {
            if (failing) throw new Error('disk I/O error while writing the audit event')
            return tx.audit.append(event)
          },
        },
      }),
    })
  return {
    wrapStore,
    fail: (on: boolean) => {
      failing = on
    },
  }
}

const auditCount = async (t: TestApp) =>
  (await t.runtime.store.read.audit.list(t.company.id)).length

describe('a failed audit write', () => {
  it('leaves neither the change nor its event, for every kind of change', async () => {
    const fault = failingAudit()
    const t = await buildTestApp({ wrapStore: fault.wrapStore })
    const userId = await t.createUser('grace@example.com')
    const events = await auditCount(t)

    fault.fail(true)
    const created = await t.call('POST', '/v1/users', { emailAddress: 'ada@example.com' })
    expect(created.statusCode).toBe(500)
    expect(created.body).not.toContain('disk')
    const disabled = await t.call('PUT', `/v1/users/${userId}/userStatus`, {
      userStatus: 'Disabled',
    })
    expect(disabled.statusCode).toBe(500)
    const code = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
    expect(code.statusCode).toBe(500)
    const settings = await t.call('PUT', '/v1/company/settings', {
      lockout: { maxFailedAttempts: 9 },
    })
    expect(settings.statusCode).toBe(500)
    fault.fail(false)

    // None of the changes is visible, and no event was written.
    expect(
      (await t.call('POST', '/v1/users/lookup', { email: 'ada@example.com' })).statusCode,
    ).toBe(404)
    const grace = (await t.call('POST', '/v1/users/lookup', { email: 'grace@example.com' })).json()
    expect(grace).toMatchObject({ userStatus: 'Enabled', emergencyAccessStatus: 'Disabled' })
    const now = (await t.call('GET', '/v1/company/settings')).json()
    expect(now.lockout.maxFailedAttempts).toBe(3)
    expect(await auditCount(t)).toBe(events)

    // The chain is intact and the next change is written with its event.
    expect(
      (await t.call('POST', '/v1/users', { emailAddress: 'ada@example.com' })).statusCode,
    ).toBe(201)
    expect(await auditCount(t)).toBe(events + 1)
    const reports = await t.runtime.services.audit.verify(t.company.id)
    expect(reports.map((r) => r.break)).toEqual([undefined])
  })
})

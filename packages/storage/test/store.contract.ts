import { randomBytes, randomUUID } from 'node:crypto'
import {
  type ApiKey,
  type AuditEvent,
  type Company,
  DEFAULT_SETTINGS,
  DomainError,
  type NewEmergencyCode,
  type NewHardwareToken,
  type Repositories,
  seedAad,
  type User,
} from '@tokendesk/core'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createSecretBox, type KyselyStore, migrateToLatest } from '../src/index.js'

/**
 * The storage contract: every `Store` implementation (each engine) must pass it. `makeStore`
 * returns a fresh, empty database for each call (migrated unless `migrate: false`).
 * A few tests reach past the port through `store.db` to set up rows the port cannot write yet
 * (method locks) or to look at what it must never return (hashes, ciphertext).
 */
export const describeStoreContract = (
  name: string,
  makeStore: (options?: { migrate?: boolean }) => Promise<KyselyStore>,
): void => {
  const open = async (options?: { migrate?: boolean }): Promise<KyselyStore> => {
    const store = await makeStore(options)
    onTestFinished(() => store.close())
    return store
  }

  /** A company with one user: most tests need both (foreign keys). */
  const seeded = async () => {
    const store = await open()
    const company = newCompany()
    const user = newUser(company.id)
    await store.read.companies.insert(company)
    await store.read.users.insert(user)
    return { store, company, user }
  }

  describe(name, () => {
    describe('migrations', () => {
      it('apply to an empty database, then find nothing left to do', async () => {
        const store = await open({ migrate: false })
        await expect(store.read.companies.count()).rejects.toThrow()
        expect(await migrateToLatest(store.db)).toEqual({
          applied: ['0001-initial'],
          current: '0001-initial',
        })
        expect(await migrateToLatest(store.db)).toEqual({ applied: [], current: '0001-initial' })
        expect(await store.read.companies.count()).toBe(0)
      })

      it('answer ping', async () => {
        const store = await open()
        await expect(store.ping()).resolves.toBeUndefined()
      })
    })

    describe('companies', () => {
      it('are inserted, found by id and exact name, and counted', async () => {
        const store = await open()
        const a = newCompany({ name: 'Acme' })
        const b = newCompany({ name: 'Globex' })
        await store.read.companies.insert(a)
        await store.read.companies.insert(b)
        expect(await store.read.companies.findById(a.id)).toEqual(a)
        expect(await store.read.companies.findByName('Globex')).toEqual(b)
        expect(await store.read.companies.findByName('globex')).toBeUndefined()
        expect(await store.read.companies.findById(randomUUID())).toBeUndefined()
        expect(await store.read.companies.count()).toBe(2)
      })

      it('refuse a duplicate name with COMPANY_EXISTS', async () => {
        const store = await open()
        await store.read.companies.insert(newCompany({ name: 'Acme' }))
        const error = await store.read.companies
          .insert(newCompany({ name: 'Acme' }))
          .catch((e) => e)
        expect(error).toBeInstanceOf(DomainError)
        expect(error).toMatchObject({ code: 'COMPANY_EXISTS' })
        expect(await store.read.companies.count()).toBe(1)
      })

      it('round-trip settings, filling settings missing from old rows with defaults', async () => {
        const store = await open()
        const company = newCompany()
        await store.read.companies.insert(company)
        const settings = {
          emergencyAccessCode: { ...DEFAULT_SETTINGS.emergencyAccessCode, length: 12 },
          lockout: { maxFailedAttempts: 5, autoUnlockAfterMinutes: 30 },
          rateLimit: { requestsPerSecond: 7, burst: 9 },
        }
        await store.read.companies.updateSettings(company.id, settings)
        expect((await store.read.companies.findById(company.id))?.settings).toEqual(settings)

        await store.db
          .updateTable('companies')
          .set({ settings: JSON.stringify({ lockout: { maxFailedAttempts: 4 } }) })
          .where('id', '=', company.id)
          .execute()
        expect((await store.read.companies.findById(company.id))?.settings).toEqual({
          ...DEFAULT_SETTINGS,
          lockout: { ...DEFAULT_SETTINGS.lockout, maxFailedAttempts: 4 },
        })
      })
    })

    describe('users', () => {
      it('are found by id within their company only', async () => {
        const { store, company, user } = await seeded()
        const other = newCompany()
        await store.read.companies.insert(other)
        expect(await store.read.users.findById(company.id, user.id)).toEqual(user)
        expect(await store.read.users.findById(other.id, user.id)).toBeUndefined()
        expect(await store.read.users.findByEmail(other.id, user.emailAddress)).toBeUndefined()
        expect(await store.read.users.findById(company.id, user.id, { forUpdate: true })).toEqual(
          user,
        )
      })

      it('are found by email whatever its case, keeping the case they were given', async () => {
        const store = await open()
        const company = newCompany()
        await store.read.companies.insert(company)
        const user = newUser(company.id, { emailAddress: 'Ada.Lovelace@Example.COM' })
        await store.read.users.insert(user)
        expect(await store.read.users.findByEmail(company.id, 'ada.lovelace@example.com')).toEqual(
          user,
        )
        expect(await store.read.users.findByEmail(company.id, 'ADA.LOVELACE@EXAMPLE.COM')).toEqual(
          user,
        )
        expect(await store.read.users.findByEmail(company.id, 'ada@example.com')).toBeUndefined()
      })

      it('refuse an email already used in the company (any case) with USER_EXISTS', async () => {
        const store = await open()
        const company = newCompany()
        const other = newCompany()
        await store.read.companies.insert(company)
        await store.read.companies.insert(other)
        await store.read.users.insert(newUser(company.id, { emailAddress: 'ada@example.com' }))
        const error = await store.read.users
          .insert(newUser(company.id, { emailAddress: 'ADA@Example.com' }))
          .catch((e) => e)
        expect(error).toBeInstanceOf(DomainError)
        expect(error).toMatchObject({
          code: 'USER_EXISTS',
          message: 'User ADA@Example.com already exists',
        })
        // The same address in another company is another user.
        const elsewhere = newUser(other.id, { emailAddress: 'ada@example.com' })
        await store.read.users.insert(elsewhere)
        expect(await store.read.users.findByEmail(other.id, 'ada@example.com')).toEqual(elsewhere)
      })

      it('change status within their company only', async () => {
        const { store, company, user } = await seeded()
        await store.read.users.updateStatus(randomUUID(), user.id, 'Disabled', T + 1)
        expect((await store.read.users.findById(company.id, user.id))?.userStatus).toBe('Enabled')
        await store.read.users.updateStatus(company.id, user.id, 'Disabled', T + 2)
        expect(await store.read.users.findById(company.id, user.id)).toEqual({
          ...user,
          userStatus: 'Disabled',
          updatedAt: T + 2,
        })
      })
    })

    describe('emergency codes', () => {
      it('are inserted and the latest found, without its hash', async () => {
        const { store, company, user } = await seeded()
        const first = newCode(company.id, user.id, { issuedAt: T, oneTimeUse: true })
        await store.read.emergencyCodes.insert(first)
        expect(await store.read.emergencyCodes.findLatest(company.id, user.id)).toEqual(
          withoutHash(first),
        )
        await store.read.emergencyCodes.revokeActive(company.id, user.id, T + 5)
        const second = newCode(company.id, user.id, {
          issuedAt: T + 10,
          offlineExpiresAt: null,
          oneTimeUse: false,
        })
        await store.read.emergencyCodes.insert(second)
        const latest = await store.read.emergencyCodes.findLatest(company.id, user.id)
        expect(latest).toEqual(withoutHash(second))
        expect(Object.keys(latest ?? {})).not.toContain('codeHash')
        expect(JSON.stringify(latest)).not.toContain(second.codeHash)
        expect(await store.read.emergencyCodes.findLatest(randomUUID(), user.id)).toBeUndefined()
      })

      it('prefers the active code to a revoked one issued in the same millisecond', async () => {
        const { store, company, user } = await seeded()
        const ids = [randomUUID(), randomUUID()].sort()
        const [low, high] = [ids[0] ?? '', ids[1] ?? '']
        await store.read.emergencyCodes.insert(newCode(company.id, user.id, { id: high }))
        await store.read.emergencyCodes.revokeActive(company.id, user.id, T)
        await store.read.emergencyCodes.insert(newCode(company.id, user.id, { id: low }))
        expect((await store.read.emergencyCodes.findLatest(company.id, user.id))?.id).toBe(low)
      })

      it("revokeActive revokes the user's active code once and counts it", async () => {
        const { store, company, user } = await seeded()
        const bystander = newUser(company.id)
        await store.read.users.insert(bystander)
        await store.read.emergencyCodes.insert(newCode(company.id, user.id))
        await store.read.emergencyCodes.insert(newCode(company.id, bystander.id))

        expect(await store.read.emergencyCodes.revokeActive(randomUUID(), user.id, T)).toBe(0)
        expect(await store.read.emergencyCodes.revokeActive(company.id, user.id, T + 1)).toBe(1)
        expect(await store.read.emergencyCodes.revokeActive(company.id, user.id, T + 2)).toBe(0)
        expect((await store.read.emergencyCodes.findLatest(company.id, user.id))?.revokedAt).toBe(
          T + 1,
        )
        const untouched = await store.read.emergencyCodes.findLatest(company.id, bystander.id)
        expect(untouched?.revokedAt).toBeNull()
      })

      it('are at most one active per user, enforced by the database', async () => {
        const { store, company, user } = await seeded()
        await store.read.emergencyCodes.insert(newCode(company.id, user.id))
        await expect(
          store.read.emergencyCodes.insert(newCode(company.id, user.id)),
        ).rejects.toThrow()
        // A revoked code does not count.
        await store.read.emergencyCodes.insert(newCode(company.id, user.id, { revokedAt: T }))
      })
    })

    describe('method locks', () => {
      it('list only methods with failures or a lock, and unlock the chosen ones', async () => {
        const { store, company, user } = await seeded()
        const bystander = newUser(company.id)
        await store.read.users.insert(bystander)
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])

        const lock = (userId: string, method: string, failed: number, lockedAt: number | null) => ({
          company_id: company.id,
          user_id: userId,
          method: method as 'TOKEN',
          failed_count: failed,
          locked_at: lockedAt,
          last_failure_at: T,
        })
        await store.db
          .insertInto('method_locks')
          .values([
            lock(user.id, 'SMS', 3, T),
            lock(user.id, 'TOKEN', 2, null),
            lock(user.id, 'VOICE', 0, null),
            lock(user.id, 'EMERGENCY_TOKENCODE', 0, T + 1),
            lock(bystander.id, 'SMS', 3, T),
          ])
          .execute()

        expect(await store.read.locks.list(company.id, user.id)).toEqual([
          { method: 'TOKEN', failedCount: 2, lockedAt: null },
          { method: 'SMS', failedCount: 3, lockedAt: T },
          { method: 'EMERGENCY_TOKENCODE', failedCount: 0, lockedAt: T + 1 },
        ])
        expect(await store.read.locks.list(randomUUID(), user.id)).toEqual([])

        await store.read.locks.unlock(company.id, user.id, [])
        await store.read.locks.unlock(randomUUID(), user.id, ['SMS'])
        expect(await store.read.locks.list(company.id, user.id)).toHaveLength(3)

        await store.read.locks.unlock(company.id, user.id, ['SMS', 'TOKEN'])
        expect(await store.read.locks.list(company.id, user.id)).toEqual([
          { method: 'EMERGENCY_TOKENCODE', failedCount: 0, lockedAt: T + 1 },
        ])
        expect(await store.read.locks.list(company.id, bystander.id)).toEqual([
          { method: 'SMS', failedCount: 3, lockedAt: T },
        ])
      })
    })

    describe('hardware tokens', () => {
      it('insert many in one transaction and tell which serials exist', async () => {
        const { store, company } = await seeded()
        const tokens = Array.from({ length: 1200 }, (_, i) => newToken(company.id, serialOf(i)))
        await store.transaction((tx) => tx.tokens.insertMany(tokens))

        const existing = await store.read.tokens.existingSerials(company.id, [
          serialOf(0),
          serialOf(1199),
          serialOf(1200),
          serialOf(777),
          '0',
        ])
        expect(existing.sort()).toEqual([serialOf(0), serialOf(777), serialOf(1199)])
        const all = await store.read.tokens.existingSerials(
          company.id,
          tokens.map((t) => t.serial),
        )
        expect(all).toHaveLength(1200)
        expect(await store.read.tokens.existingSerials(randomUUID(), [serialOf(0)])).toEqual([])
        expect(await store.read.tokens.existingSerials(company.id, [])).toEqual([])
      })

      it('refuse a serial already in the company with TOKEN_SERIAL_EXISTS, all or nothing', async () => {
        const { store, company } = await seeded()
        const other = newCompany()
        await store.read.companies.insert(other)
        await store.read.tokens.insertMany([newToken(company.id, 'DUP')])

        const batch = Array.from({ length: 1100 }, (_, i) => newToken(company.id, `B${i}`))
        batch.push(newToken(company.id, 'DUP'))
        const error = await store.transaction((tx) => tx.tokens.insertMany(batch)).catch((e) => e)
        expect(error).toBeInstanceOf(DomainError)
        expect(error).toMatchObject({ code: 'TOKEN_SERIAL_EXISTS' })
        expect(await store.read.tokens.existingSerials(company.id, ['B0', 'B1099'])).toEqual([])

        // The same serial in another company is another token.
        await store.read.tokens.insertMany([newToken(other.id, 'DUP')])
      })

      it('keep serials as text: 000123 is not 123', async () => {
        const { store, company } = await seeded()
        const padded = newToken(company.id, '000123', { name: 'padded' })
        const plain = newToken(company.id, '123', { name: 'plain', pinSet: true })
        await store.read.tokens.insertMany([padded, plain])
        expect(await store.read.tokens.findBySerial(company.id, '000123')).toEqual(
          withoutSeed(padded),
        )
        expect(await store.read.tokens.findBySerial(company.id, '123')).toEqual(withoutSeed(plain))
        expect(await store.read.tokens.findBySerial(company.id, '0123')).toBeUndefined()
        expect(await store.read.tokens.existingSerials(company.id, ['123', '00123'])).toEqual([
          '123',
        ])
        expect(await store.read.tokens.findBySerial(randomUUID(), '123')).toBeUndefined()
      })

      it('are assigned, counted, listed and enabled within their company', async () => {
        const { store, company, user } = await seeded()
        const a = newToken(company.id, 'A1')
        const b = newToken(company.id, 'B2')
        const c = newToken(company.id, 'C3')
        await store.read.tokens.insertMany([a, b, c])
        expect(await store.read.tokens.countAssigned(company.id, user.id)).toBe(0)
        expect(await store.read.tokens.listAssigned(company.id, user.id)).toEqual([])

        await store.transaction(async (tx) => {
          const token = await tx.tokens.findBySerial(company.id, 'B2', { forUpdate: true })
          expect(token?.state).toBe('Unassigned')
          await tx.tokens.assign(company.id, 'B2', {
            userId: user.id,
            name: 'Desk',
            at: T + 1,
            by: 'k1',
          })
          await tx.tokens.assign(company.id, 'A1', {
            userId: user.id,
            name: 'Bag',
            at: T + 2,
            by: null,
          })
        })
        await store.read.tokens.assign(randomUUID(), 'C3', {
          userId: user.id,
          name: 'x',
          at: T,
          by: null,
        })
        const assignedB = {
          ...withoutSeed(b),
          name: 'Desk',
          state: 'Activation Pending',
          assignedUserId: user.id,
          assignedAt: T + 1,
          assignedBy: 'k1',
        }
        expect(await store.read.tokens.findBySerial(company.id, 'B2')).toEqual(assignedB)
        expect(await store.read.tokens.countAssigned(company.id, user.id)).toBe(2)
        expect(await store.read.tokens.countAssigned(randomUUID(), user.id)).toBe(0)
        const listed = await store.read.tokens.listAssigned(company.id, user.id)
        expect(listed.map((t) => t.serial)).toEqual(['B2', 'A1'])

        await store.read.tokens.setStatus(company.id, 'B2', {
          status: 'Enabled',
          at: T + 3,
          by: 'k2',
        })
        await store.read.tokens.setStatus(randomUUID(), 'A1', {
          status: 'Enabled',
          at: T,
          by: null,
        })
        expect(await store.read.tokens.findBySerial(company.id, 'B2')).toEqual({
          ...assignedB,
          status: 'Enabled',
          statusChangedAt: T + 3,
          statusChangedBy: 'k2',
        })
        expect((await store.read.tokens.findBySerial(company.id, 'A1'))?.status).toBe('Disabled')
        expect((await store.read.tokens.findBySerial(company.id, 'C3'))?.assignedUserId).toBeNull()
      })

      it('store the seed ciphertext as bytes that decrypt with the secret box', async () => {
        const { store, company } = await seeded()
        const box = createSecretBox(randomBytes(32))
        const seed = randomBytes(20)
        const sealed = box.encrypt(seed, seedAad(company.id, '000042'))
        await store.read.tokens.insertMany([
          newToken(company.id, '000042', { seedCiphertext: sealed }),
        ])
        const row = await store.db
          .selectFrom('tokens')
          .select('seed_ciphertext')
          .where('company_id', '=', company.id)
          .where('serial', '=', '000042')
          .executeTakeFirstOrThrow()
        expect(row.seed_ciphertext).toBeInstanceOf(Uint8Array)
        expect(Buffer.from(row.seed_ciphertext).equals(Buffer.from(sealed))).toBe(true)
        const opened = box.decrypt(row.seed_ciphertext, seedAad(company.id, '000042'))
        expect(Buffer.from(opened).equals(seed)).toBe(true)
        const token = await store.read.tokens.findBySerial(company.id, '000042')
        expect(Object.keys(token ?? {})).not.toContain('seedCiphertext')
      })
    })

    describe('API keys', () => {
      it('are inserted, found, listed per company and counted while active', async () => {
        const { store, company } = await seeded()
        const other = newCompany()
        await store.read.companies.insert(other)
        const k1 = newApiKey(company.id, { createdAt: T, description: null })
        const k2 = newApiKey(company.id, { createdAt: T + 1, role: 'HELP_DESK_ADMIN' })
        const k3 = newApiKey(other.id)
        for (const key of [k2, k1, k3]) await store.read.apiKeys.insert(key)
        expect(await store.read.apiKeys.findByAccessId(k2.accessId)).toEqual(k2)
        expect(await store.read.apiKeys.findByAccessId(randomUUID())).toBeUndefined()
        expect(await store.read.apiKeys.list(company.id)).toEqual([k1, k2])
        expect(await store.read.apiKeys.countActive(company.id)).toBe(2)
        expect(await store.read.apiKeys.countActive(other.id)).toBe(1)
      })

      it('are revoked once, within their company, and touched', async () => {
        const { store, company } = await seeded()
        const key = newApiKey(company.id)
        await store.read.apiKeys.insert(key)

        expect(await store.read.apiKeys.revoke(randomUUID(), key.accessId, T)).toBeUndefined()
        expect(await store.read.apiKeys.revoke(company.id, randomUUID(), T)).toBeUndefined()
        expect(await store.read.apiKeys.countActive(company.id)).toBe(1)

        expect(await store.read.apiKeys.revoke(company.id, key.accessId, T + 10)).toEqual({
          ...key,
          revokedAt: T + 10,
        })
        expect(await store.read.apiKeys.revoke(company.id, key.accessId, T + 20)).toEqual({
          ...key,
          revokedAt: T + 10,
        })
        expect(await store.read.apiKeys.countActive(company.id)).toBe(0)

        await store.read.apiKeys.touch(key.accessId, T + 30)
        expect(await store.read.apiKeys.findByAccessId(key.accessId)).toEqual({
          ...key,
          revokedAt: T + 10,
          lastUsedAt: T + 30,
        })
      })
    })

    describe('audit events', () => {
      it('are listed oldest first with their details, per company, up to a limit', async () => {
        const store = await open()
        const companyId = randomUUID()
        const events = [
          newEvent(companyId, { action: 'company.created', at: T + 5 }),
          newEvent(companyId, {
            action: 'user.status_changed',
            at: T + 1,
            details: { from: 'Enabled', to: 'Disabled', nested: { list: [1, 'two', null] } },
            result: 'failure',
            reason: 'because',
            requestId: 'req-1',
            sourceIp: '192.0.2.1',
          }),
          newEvent(companyId, {
            action: 'token.assigned',
            actor: { type: 'cli', id: null, role: null },
            targetType: null,
            targetId: null,
          }),
        ]
        await store.read.audit.append(events[0] as AuditEvent)
        await store.read.audit.append(newEvent(randomUUID()))
        await store.transaction(async (tx) => {
          await tx.audit.append(events[1] as AuditEvent)
          await tx.audit.append(events[2] as AuditEvent)
        })

        const listed = await store.read.audit.list(companyId)
        expect(listed.map(({ id: _, ...event }) => event)).toEqual(events)
        const ids = listed.map((e) => e.id)
        expect(ids.every((id) => Number.isInteger(id))).toBe(true)
        expect([...ids].sort((a, b) => a - b)).toEqual(ids)
        expect(new Set(ids).size).toBe(3)
        expect(await store.read.audit.list(companyId, { limit: 2 })).toEqual(listed.slice(0, 2))
      })
    })

    describe('transactions', () => {
      it('commit and return what the work returns', async () => {
        const { store, company } = await seeded()
        const user = newUser(company.id)
        const result = await store.transaction(async (tx) => {
          await tx.users.insert(user)
          await tx.audit.append(newEvent(company.id))
          return 'done'
        })
        expect(result).toBe('done')
        expect(await store.read.users.findById(company.id, user.id)).toEqual(user)
        expect(await store.read.audit.list(company.id)).toHaveLength(1)
      })

      it('roll back the change and its audit event when the work throws', async () => {
        const { store, company } = await seeded()
        const user = newUser(company.id)
        const boom = new Error('boom')
        const error = await store
          .transaction(async (tx) => {
            await tx.users.insert(user)
            await tx.users.updateStatus(company.id, user.id, 'Disabled', T + 1)
            await tx.audit.append(newEvent(company.id))
            throw boom
          })
          .catch((e) => e)
        expect(error).toBe(boom)
        expect(await store.read.users.findById(company.id, user.id)).toBeUndefined()
        expect(await store.read.audit.list(company.id)).toEqual([])

        // The store is usable afterwards.
        await store.transaction((tx) => tx.users.insert(user))
        expect(await store.read.users.findById(company.id, user.id)).toEqual(user)
      })

      it('roll back on a unique violation and surface the domain error', async () => {
        const { store, company, user } = await seeded()
        const fresh = newUser(company.id)
        const error = await store
          .transaction(async (tx) => {
            await tx.users.insert(fresh)
            await tx.users.insert(newUser(company.id, { emailAddress: user.emailAddress }))
          })
          .catch((e) => e)
        expect(error).toMatchObject({ code: 'USER_EXISTS' })
        expect(await store.read.users.findById(company.id, fresh.id)).toBeUndefined()
      })

      it('leave exactly one active code after 20 parallel issues for one user', async () => {
        const { store, company, user } = await seeded()
        const issue = (i: number) =>
          store.transaction(async (tx: Repositories) => {
            const locked = await tx.users.findById(company.id, user.id, { forUpdate: true })
            if (!locked) throw new Error('user not found')
            const revoked = await tx.emergencyCodes.revokeActive(company.id, user.id, T + i)
            await tx.emergencyCodes.insert(newCode(company.id, user.id, { issuedAt: T + i }))
            await tx.audit.append(newEvent(company.id, { details: { revoked } }))
            return revoked
          })
        const revoked = await Promise.all(Array.from({ length: 20 }, (_, i) => issue(i)))
        // Every issue but the first found exactly one code to revoke.
        expect(revoked.filter((n) => n === 0)).toHaveLength(1)
        expect(revoked.filter((n) => n === 1)).toHaveLength(19)

        const codes = await store.db
          .selectFrom('emergency_codes')
          .select(['id', 'revoked_at'])
          .where('user_id', '=', user.id)
          .execute()
        expect(codes).toHaveLength(20)
        expect(codes.filter((c) => c.revoked_at === null)).toHaveLength(1)
        expect(await store.read.audit.list(company.id)).toHaveLength(20)
      })
    })
  })
}

/** 2023-11-14: beyond 2^31, so a 32-bit timestamp column would fail. */
const T = 1_700_000_000_000

const serialOf = (i: number): string => String(i).padStart(12, '0')

const newCompany = (overrides: Partial<Company> = {}): Company => ({
  id: randomUUID(),
  name: `Company ${randomUUID()}`,
  settings: DEFAULT_SETTINGS,
  createdAt: T,
  ...overrides,
})

const newUser = (companyId: string, overrides: Partial<User> = {}): User => ({
  id: randomUUID(),
  companyId,
  emailAddress: `${randomUUID()}@example.com`,
  firstName: 'Ada',
  lastName: null,
  userStatus: 'Enabled',
  smsNumber: null,
  voiceNumber: '+15555550100',
  createdAt: T,
  updatedAt: T,
  ...overrides,
})

const newCode = (
  companyId: string,
  userId: string,
  overrides: Partial<NewEmergencyCode> = {},
): NewEmergencyCode => ({
  id: randomUUID(),
  companyId,
  userId,
  codeHash: randomBytes(32).toString('hex'),
  issuedAt: T,
  expiresAt: T + 86_400_000,
  offlineExpiresAt: T + 7 * 86_400_000,
  oneTimeUse: false,
  revokedAt: null,
  lastUsedAt: null,
  ...overrides,
})

const withoutHash = ({ codeHash: _, ...code }: NewEmergencyCode) => code

const newToken = (
  companyId: string,
  serial: string,
  overrides: Partial<NewHardwareToken> = {},
): NewHardwareToken => ({
  id: randomUUID(),
  companyId,
  serial,
  name: serial,
  algorithm: 'TOTP',
  digits: 6,
  period: 60,
  state: 'Unassigned',
  status: 'Disabled',
  statusChangedBy: null,
  statusChangedAt: null,
  assignedUserId: null,
  assignedAt: null,
  assignedBy: null,
  pinSet: false,
  createdAt: T,
  seedCiphertext: randomBytes(45),
  ...overrides,
})

const withoutSeed = ({ seedCiphertext: _, ...token }: NewHardwareToken) => token

const newApiKey = (companyId: string, overrides: Partial<ApiKey> = {}): ApiKey => ({
  accessId: randomUUID(),
  companyId,
  role: 'SUPER_ADMIN',
  description: 'help desk integration',
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
  createdAt: T,
  lastUsedAt: null,
  revokedAt: null,
  ...overrides,
})

const newEvent = (companyId: string, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  companyId,
  at: T,
  action: 'user.created',
  actor: { type: 'api_key', id: randomUUID(), role: 'SUPER_ADMIN' },
  targetType: 'user',
  targetId: randomUUID(),
  result: 'success',
  reason: null,
  requestId: null,
  sourceIp: null,
  details: {},
  ...overrides,
})

import { randomBytes, randomUUID } from 'node:crypto'
import {
  type ApiKey,
  type AuditEvent,
  type AuditKind,
  type Company,
  checkLink,
  DEFAULT_SETTINGS,
  DomainError,
  GENESIS_HASH,
  LOCKABLE_METHODS,
  type LockableMethod,
  type NewEmergencyCode,
  type NewHardwareToken,
  type Repositories,
  seedAad,
  type User,
} from '@tokendesk/core'
import { Migrator, sql } from 'kysely'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createSecretBox, type KyselyStore, migrateToLatest } from '../src/index.js'
import { migrations } from '../src/migrations/index.js'

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
        // Every registered migration, in name order (several land concurrently: 0002, 0003…).
        const all = Object.keys(await migrations(store.engine).getMigrations()).sort()
        expect(all[0]).toBe('0001-initial')
        expect(await migrateToLatest(store.db)).toEqual({ applied: all, current: all.at(-1) })
        expect(await migrateToLatest(store.db)).toEqual({ applied: [], current: all.at(-1) })
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

      it('prefers the active code to a revoked one stamped later (a node whose clock is ahead)', async () => {
        const { store, company, user } = await seeded()
        const ahead = newCode(company.id, user.id, { issuedAt: T + 60_000, revokedAt: T + 60_001 })
        const active = newCode(company.id, user.id, { issuedAt: T })
        await store.read.emergencyCodes.insert(ahead)
        await store.read.emergencyCodes.insert(active)
        expect((await store.read.emergencyCodes.findLatest(company.id, user.id))?.id).toBe(
          active.id,
        )
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

    describe('user details in one read (findDetailsByEmail)', () => {
      it('match findByEmail, locks.list and findLatest, case-insensitively', async () => {
        const { store, company, user } = await seeded()
        const bystander = newUser(company.id)
        await store.read.users.insert(bystander)
        const email = user.emailAddress.toUpperCase()
        const same = async () => ({
          user: await store.read.users.findByEmail(company.id, user.emailAddress),
          locks: await store.read.locks.list(company.id, user.id),
          latestCode: await store.read.emergencyCodes.findLatest(company.id, user.id),
        })
        // Nothing but the user.
        expect(await store.read.users.findDetailsByEmail(company.id, email)).toEqual(await same())

        // Locks in every state (a row with no count and no lock reads as absent), and codes:
        // the latest revoked while an older one is active, so the active one is the latest.
        const lock = (userId: string, method: LockableMethod, failed: number, at: number | null) =>
          lockRow(company.id, userId, method, failed, at)
        await store.db
          .insertInto('method_locks')
          .values([
            lock(user.id, 'VOICE', 0, null),
            lock(user.id, 'SMS', 3, T),
            lock(user.id, 'TOKEN', 2, null),
            lock(bystander.id, 'EMERGENCY_TOKENCODE', 1, T),
          ])
          .execute()
        const active = newCode(company.id, user.id, { issuedAt: T, oneTimeUse: true })
        await store.read.emergencyCodes.insert(active)
        await store.read.emergencyCodes.insert(
          newCode(company.id, user.id, { issuedAt: T + 60_000, revokedAt: T + 60_001 }),
        )
        await store.read.emergencyCodes.insert(newCode(company.id, bystander.id))
        const details = await store.read.users.findDetailsByEmail(company.id, email)
        expect(details).toEqual(await same())
        expect(details?.locks.map((l) => l.method)).toEqual(['TOKEN', 'SMS'])
        expect(details?.latestCode?.id).toBe(active.id)
        expect(details?.latestCode?.oneTimeUse).toBe(true)

        // Every code revoked: the latest is the revoked one. Then a new one, active.
        await store.read.emergencyCodes.revokeActive(company.id, user.id, T + 70_000)
        const revoked = await store.read.users.findDetailsByEmail(company.id, email)
        expect(revoked).toEqual(await same())
        expect(revoked?.latestCode?.revokedAt).toBe(T + 60_001)
        const newest = newCode(company.id, user.id, { issuedAt: T + 80_000, oneTimeUse: false })
        await store.read.emergencyCodes.insert(newest)
        const again = await store.read.users.findDetailsByEmail(company.id, user.emailAddress)
        expect(again).toEqual(await same())
        expect(again?.latestCode?.id).toBe(newest.id)
      })

      it('find no user of another company, and no deleted user', async () => {
        const { store, company, user } = await seeded()
        expect(
          await store.read.users.findDetailsByEmail(randomUUID(), user.emailAddress),
        ).toBeUndefined()
        expect(
          await store.read.users.findDetailsByEmail(company.id, 'nobody@example.com'),
        ).toBeUndefined()
        await store.read.users.markDeleted(company.id, user.id, T)
        expect(
          await store.read.users.findDetailsByEmail(company.id, user.emailAddress),
        ).toBeUndefined()
      })
    })

    describe('method locks', () => {
      it('list only methods with failures or a lock, and unlock the chosen ones', async () => {
        const { store, company, user } = await seeded()
        const bystander = newUser(company.id)
        await store.read.users.insert(bystander)
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])

        const lock = (userId: string, method: LockableMethod, failed: number, at: number | null) =>
          lockRow(company.id, userId, method, failed, at)
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

        // One method (named twice), then every method at once.
        await store.read.locks.unlock(company.id, user.id, [
          'EMERGENCY_TOKENCODE',
          'EMERGENCY_TOKENCODE',
        ])
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])
        await store.db
          .insertInto('method_locks')
          .values(LOCKABLE_METHODS.map((method) => lock(user.id, method, 1, T)))
          .onConflict((oc) =>
            oc.columns(['user_id', 'method']).doUpdateSet({ failed_count: 1, locked_at: T }),
          )
          .execute()
        expect(await store.read.locks.list(company.id, user.id)).toHaveLength(5)
        await store.read.locks.unlock(company.id, user.id, [...LOCKABLE_METHODS])
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])
        expect(await store.read.locks.list(company.id, bystander.id)).toHaveLength(1)
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

    describe('audit chain', () => {
      /** Checks one chain link by link from its anchor, and that it ends at its head. */
      const expectIntact = async (store: KyselyStore, companyId: string, kind: AuditKind) => {
        const head = await store.read.audit.head(companyId, kind)
        const events = await store.read.audit.chainEvents(companyId, kind, 0, 10_000)
        let prev = head?.anchorHash
        for (const event of events) {
          expect(checkLink(event, prev ?? '')).toBeUndefined()
          prev = event.hash
        }
        expect(head?.lastHash).toBe(prev)
        return events
      }

      it('links each company’s events into one chain per kind, from the genesis hash', async () => {
        const store = await open()
        const [a, b] = [randomUUID(), randomUUID()]
        await store.read.audit.append(newEvent(a, { action: 'user.created', at: T }))
        await store.read.audit.append(newEvent(a, { action: 'authn.failed', at: T + 1 }))
        await store.read.audit.append(newEvent(b, { action: 'token.assigned', at: T + 2 }))
        await store.transaction(async (tx) => {
          await tx.audit.append(newEvent(a, { action: 'authn.succeeded', at: T + 3 }))
          await tx.audit.append(newEvent(a, { action: 'company.settings_updated', at: T + 4 }))
        })
        const admin = await expectIntact(store, a, 'admin')
        expect(admin.map((e) => e.action)).toEqual(['user.created', 'company.settings_updated'])
        expect(admin[0]?.prevHash).toBe(GENESIS_HASH)
        expect(admin.every((e) => e.kind === 'admin' && /^[0-9a-f]{64}$/.test(e.hash))).toBe(true)
        const user = await expectIntact(store, a, 'user')
        expect(user.map((e) => e.action)).toEqual(['authn.failed', 'authn.succeeded'])
        expect(user[0]?.prevHash).toBe(GENESIS_HASH)
        expect(await expectIntact(store, b, 'admin')).toHaveLength(1)
        expect(await store.read.audit.chains()).toEqual(
          [
            { companyId: a, kind: 'admin' },
            { companyId: a, kind: 'user' },
            { companyId: b, kind: 'admin' },
          ].sort((x, y) => x.companyId.localeCompare(y.companyId)),
        )
        expect(await store.read.audit.chains(b)).toEqual([{ companyId: b, kind: 'admin' }])
      })

      it('never gives two concurrent appends to one chain the same predecessor', async () => {
        const { store, company } = await seeded()
        // Each transaction also changes a row, as real changes do, and appends twice.
        const append = (i: number) =>
          store.transaction(async (tx) => {
            await tx.users.insert(newUser(company.id))
            await tx.audit.append(newEvent(company.id, { at: T + i, details: { i } }))
            await tx.audit.append(newEvent(company.id, { at: T + i, details: { i, second: true } }))
          })
        await Promise.all(Array.from({ length: 30 }, (_, i) => append(i)))
        const events = await expectIntact(store, company.id, 'admin')
        expect(events).toHaveLength(60)
        expect(new Set(events.map((e) => e.prevHash)).size).toBe(60)
        // A transaction's two events are adjacent: the head stayed locked in between.
        for (let i = 0; i < 60; i += 2) {
          expect(events[i + 1]?.details).toEqual({ ...events[i]?.details, second: true })
        }
      })

      it('takes back the appends of a transaction that rolls back, amid others that commit', async () => {
        const { store, company } = await seeded()
        // On SQLite the twelve share one batch: each rolled-back savepoint undoes its head.
        const run = (i: number) =>
          store.transaction(async (tx) => {
            await tx.audit.append(newEvent(company.id, { at: T + i, details: { i } }))
            if (i % 3 === 1) throw new Error('rolled back')
          })
        const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => run(i)))
        expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4)
        const events = await expectIntact(store, company.id, 'admin')
        // (In commit order, which PostgreSQL's parallel transactions do not fix.)
        const kept = events.map((e) => Number(e.details.i)).sort((a, b) => a - b)
        expect(kept).toEqual([0, 2, 3, 5, 6, 8, 9, 11])
      })

      it('counts and pages a kind by time: after exclusive, onOrBefore inclusive', async () => {
        const store = await open()
        const companyId = randomUUID()
        for (const at of [T + 30, T + 10, T + 20, T + 20, T + 40]) {
          await store.read.audit.append(newEvent(companyId, { at, details: { at } }))
        }
        await store.read.audit.append(newEvent(companyId, { action: 'authn.failed', at: T + 20 }))
        const range = { after: T + 10, onOrBefore: T + 30 }
        expect(await store.read.audit.count(companyId, 'admin', range)).toBe(3)
        expect(await store.read.audit.count(companyId, 'user', range)).toBe(1)
        expect(await store.read.audit.count(randomUUID(), 'admin', range)).toBe(0)
        const all = await store.read.audit.find(companyId, 'admin', range, { offset: 0, limit: 10 })
        expect(all.map((e) => e.at)).toEqual([T + 20, T + 20, T + 30])
        expect((all[0]?.id ?? 0) < (all[1]?.id ?? 0)).toBe(true)
        const second = await store.read.audit.find(companyId, 'admin', range, {
          offset: 1,
          limit: 1,
        })
        expect(second).toEqual([all[1]])
        const open_ = await store.read.audit.find(
          companyId,
          'admin',
          { onOrBefore: T + 10 },
          { offset: 0, limit: 10 },
        )
        expect(open_.map((e) => e.at)).toEqual([T + 10])
      })

      it('purges only the oldest end of a chain, in batches, and anchors what remains', async () => {
        const store = await open()
        const companyId = randomUUID()
        // The fourth event is older than the third (clock skew between writers): it stays
        // until everything before it has expired.
        for (const at of [T, T + 1, T + 50, T + 2, T + 3, T + 60]) {
          await store.read.audit.append(newEvent(companyId, { at }))
        }
        await store.read.audit.append(newEvent(companyId, { action: 'authn.failed', at: T }))
        const before = await store.read.audit.chainEvents(companyId, 'admin', 0, 100)
        expect(await store.read.audit.purge(companyId, 'admin', T + 10, 1)).toBe(1)
        expect(await store.read.audit.purge(companyId, 'admin', T + 10, 100)).toBe(1)
        expect(await store.read.audit.purge(companyId, 'admin', T + 10, 100)).toBe(0)
        const after = await expectIntact(store, companyId, 'admin')
        expect(after.map((e) => e.at)).toEqual([T + 50, T + 2, T + 3, T + 60])
        expect((await store.read.audit.head(companyId, 'admin'))?.anchorHash).toBe(before[1]?.hash)
        // The user chain is purged on its own.
        expect(await expectIntact(store, companyId, 'user')).toHaveLength(1)

        // Purged to the end: the anchor is the newest hash.
        expect(await store.read.audit.purge(companyId, 'admin', T + 100, 100)).toBe(4)
        expect(await expectIntact(store, companyId, 'admin')).toEqual([])
        await store.read.audit.append(newEvent(companyId, { at: T + 200 }))
        const [next] = await expectIntact(store, companyId, 'admin')
        expect(next?.prevHash).toBe(before.at(-1)?.hash)
      })

      it('chains the events stored before the chain existed (migration 0003)', async () => {
        const store = await open({ migrate: false })
        // PostgreSQL: the migration tables go in the store's own schema (its search_path).
        const schema =
          store.engine === 'postgres'
            ? (await sql<{ search_path: string }>`show search_path`.execute(store.db)).rows[0]
                ?.search_path
            : undefined
        const migrator = new Migrator({
          db: store.db,
          provider: migrations(store.engine),
          ...(schema === undefined ? {} : { migrationTableSchema: schema }),
        })
        const first = await migrator.migrateTo('0001-initial')
        expect(first.error).toBeUndefined()
        const companyId = randomUUID()
        for (const [i, action] of [
          'company.created',
          'api_key.created',
          'user.created',
        ].entries()) {
          await sql`insert into audit_events (company_id, at, action, actor_type, result, details)
            values (${companyId}, ${T + i}, ${action}, 'cli', 'success', ${JSON.stringify({ i })})`.execute(
            store.db,
          )
        }
        await migrateToLatest(store.db)
        const events = await expectIntact(store, companyId, 'admin')
        expect(events.map((e) => e.action)).toEqual([
          'company.created',
          'api_key.created',
          'user.created',
        ])
        expect(events[0]?.prevHash).toBe(GENESIS_HASH)
        await store.read.audit.append(newEvent(companyId))
        expect(await expectIntact(store, companyId, 'admin')).toHaveLength(4)
      })
    })

    describe('user administration (issue 4)', () => {
      it('search by a case-insensitive substring in code-point order, by offset or after a key', async () => {
        const store = await open()
        const company = newCompany()
        const other = newCompany()
        await store.read.companies.insert(company)
        await store.read.companies.insert(other)
        const emails = ['b.x@example.com', 'A.X@example.com', 'ab.x@example.com', 'a_x@example.com']
        await store.read.users.insertMany(
          emails.map((emailAddress) => newUser(company.id, { emailAddress })),
        )
        await store.read.users.insert(newUser(other.id, { emailAddress: 'a.x@example.com' }))
        const search = (query: {
          emailLike: string
          limit: number
          offset?: number
          after?: string
        }) =>
          store.read.users
            .searchByEmail(company.id, query)
            .then((users) => users.map((u) => u.emailAddress))
        // Code-point order of the lower-cased address: '.' < '_' < 'b' (not locale order).
        expect(await search({ emailLike: '', limit: 10 })).toEqual([
          'A.X@example.com',
          'a_x@example.com',
          'ab.x@example.com',
          'b.x@example.com',
        ])
        expect(await search({ emailLike: '.X@', limit: 10 })).toEqual([
          'A.X@example.com',
          'ab.x@example.com',
          'b.x@example.com',
        ])
        expect(await search({ emailLike: '_', limit: 10 })).toEqual(['a_x@example.com'])
        expect(await search({ emailLike: '%', limit: 10 })).toEqual([])
        expect(await search({ emailLike: '', limit: 2, offset: 1 })).toEqual([
          'a_x@example.com',
          'ab.x@example.com',
        ])
        expect(await search({ emailLike: '', limit: 2, after: 'a_x@example.com' })).toEqual([
          'ab.x@example.com',
          'b.x@example.com',
        ])
        expect(await store.read.users.countByEmail(company.id, '.x@')).toBe(3)
        expect(
          await store.read.users.countByEmail(company.id, '', { through: 'ab.x@example.com' }),
        ).toBe(3)
      })

      it('update profiles, and delete users so that no lookup finds them and the email is free', async () => {
        const { store, company, user } = await seeded()
        await store.read.users.updateProfile(
          company.id,
          user.id,
          { firstName: 'New', smsNumber: null },
          T + 5,
        )
        expect(await store.read.users.findById(company.id, user.id)).toEqual({
          ...user,
          firstName: 'New',
          smsNumber: null,
          updatedAt: T + 5,
        })
        await store.read.users.markDeleted(company.id, user.id, T + 9)
        expect(await store.read.users.findById(company.id, user.id)).toBeUndefined()
        expect(await store.read.users.findByEmail(company.id, user.emailAddress)).toBeUndefined()
        expect(await store.read.users.countByEmail(company.id, '')).toBe(0)
        expect(await store.read.users.existingEmails(company.id, [user.emailAddress])).toEqual([])
        const again = newUser(company.id, { emailAddress: user.emailAddress.toUpperCase() })
        await store.read.users.insert(again)
        expect(await store.read.users.findByEmail(company.id, user.emailAddress)).toEqual(again)
      })

      it('insert many users in one transaction, all or nothing', async () => {
        const store = await open()
        const company = newCompany()
        await store.read.companies.insert(company)
        const users = Array.from({ length: 1_200 }, () => newUser(company.id))
        await store.read.users.insertMany(users)
        expect(await store.read.users.countByEmail(company.id, '@example.com')).toBe(1_200)
        expect(
          await store.read.users.existingEmails(company.id, [
            users[7]?.emailAddress.toUpperCase() ?? '',
            'nobody@example.com',
          ]),
        ).toEqual([users[7]?.emailAddress.toLowerCase()])

        const more = Array.from({ length: 900 }, () => newUser(company.id))
        const clash = { ...newUser(company.id), emailAddress: users[0]?.emailAddress ?? '' }
        const error = await store
          .transaction((tx) => tx.users.insertMany([...more, clash]))
          .catch((e) => e)
        expect(error).toBeInstanceOf(DomainError)
        expect(error.code).toBe('USER_EXISTS')
        expect(await store.read.users.countByEmail(company.id, '@example.com')).toBe(1_200)
      })

      it('unassign a token (Disabled, no holder, no PIN), all of a user’s, clear PINs, delete', async () => {
        const { store, company, user } = await seeded()
        const enabled = newToken(company.id, serialOf(91), {
          state: 'Activated',
          status: 'Enabled',
          statusChangedAt: T,
          statusChangedBy: 'k1',
          assignedUserId: user.id,
          assignedAt: T,
          assignedBy: 'k1',
          pinSet: true,
        })
        const disabled = newToken(company.id, serialOf(92), {
          state: 'Activation Pending',
          assignedUserId: user.id,
          assignedAt: T,
          assignedBy: 'k1',
          pinSet: true,
        })
        const free = newToken(company.id, serialOf(93), { pinSet: true })
        await store.read.tokens.insertMany([enabled, disabled, free])

        await store.read.tokens.setPin(company.id, free.serial, 'pin-hash')
        await store.read.tokens.clearPin(company.id, free.serial)
        expect(await store.read.tokens.findBySerial(company.id, free.serial)).toMatchObject({
          pinSet: false,
        })
        expect((await store.read.tokens.findSecret(company.id, free.serial))?.pinHash).toBeNull()
        await store.read.tokens.setPin(company.id, enabled.serial, 'pin-hash')

        await store.read.tokens.unassign(company.id, enabled.serial, { at: T + 1, by: 'k2' })
        expect(await store.read.tokens.findBySerial(company.id, enabled.serial)).toEqual({
          ...withoutSeed(enabled),
          state: 'Unassigned',
          status: 'Disabled',
          statusChangedAt: T + 1,
          statusChangedBy: 'k2',
          assignedUserId: null,
          assignedAt: null,
          assignedBy: null,
          pinSet: false,
        })
        expect((await store.read.tokens.findSecret(company.id, enabled.serial))?.pinHash).toBeNull()

        await store.read.tokens.assign(company.id, enabled.serial, {
          userId: user.id,
          name: 'again',
          at: T + 2,
          by: 'k3',
        })
        expect(
          await store.read.tokens.unassignAll(company.id, user.id, { at: T + 3, by: 'k4' }),
        ).toEqual([serialOf(91), serialOf(92)])
        expect(await store.read.tokens.listAssigned(company.id, user.id)).toEqual([])
        // Already Disabled: the status change time and author stay as they were.
        expect(await store.read.tokens.findBySerial(company.id, disabled.serial)).toMatchObject({
          state: 'Unassigned',
          statusChangedAt: null,
          statusChangedBy: null,
          pinSet: false,
        })

        await store.read.tokens.remove(company.id, free.serial)
        expect(await store.read.tokens.findBySerial(company.id, free.serial)).toBeUndefined()
        expect(await store.read.tokens.existingSerials(company.id, [free.serial])).toEqual([])
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

      it('keep parallel transactions apart: the ones that throw fail alone, the rest commit', async () => {
        const { store, company, user: existing } = await seeded()
        const users = Array.from({ length: 40 }, () => newUser(company.id))
        const outcomes = await Promise.allSettled(
          users.map((user, i) =>
            store.transaction(async (tx) => {
              await tx.users.insert(user)
              await tx.audit.append(newEvent(company.id, { targetId: user.id }))
              if (i % 3 === 0) throw new Error(`refused ${i}`)
              // A unique violation half-way through a transaction undoes only that one.
              if (i % 5 === 1) await tx.users.insert(newUser(company.id, { id: existing.id }))
              return i
            }),
          ),
        )
        const committed = users.filter((_, i) => i % 3 !== 0 && i % 5 !== 1)
        outcomes.forEach((outcome, i) => {
          if (i % 3 === 0) expect(outcome).toMatchObject({ reason: { message: `refused ${i}` } })
          else if (i % 5 === 1) expect(outcome.status).toBe('rejected')
          else expect(outcome).toEqual({ status: 'fulfilled', value: i })
        })
        for (const [i, user] of users.entries()) {
          const kept = committed.includes(user)
          expect(await store.read.users.findById(company.id, user.id), `user ${i}`).toEqual(
            kept ? user : undefined,
          )
        }
        const events = await store.read.audit.list(company.id)
        expect(events.map((e) => e.targetId).sort()).toEqual(committed.map((u) => u.id).sort())
      })

      it('run writes made outside a transaction atomically, in parallel with transactions', async () => {
        const { store, company, user } = await seeded()
        const others = Array.from({ length: 10 }, () => newUser(company.id))
        await Promise.all([
          ...Array.from({ length: 30 }, () =>
            store.read.locks.recordFailure(company.id, user.id, 'TOKEN', T, 1000),
          ),
          ...others.map((other) => store.transaction((tx) => tx.users.insert(other))),
        ])
        const locks = await store.read.locks.list(company.id, user.id)
        expect(locks).toEqual([expect.objectContaining({ method: 'TOKEN', failedCount: 30 })])
        for (const other of others) {
          expect(await store.read.users.findById(company.id, other.id)).toEqual(other)
        }
      })
    })
    describe('authentication (migration 0002)', () => {
      it('recordFailure counts atomically: 100 parallel failures leave exactly max counted and a lock', async () => {
        const { store, company, user } = await seeded()
        const states = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            store.transaction((tx) =>
              tx.locks.recordFailure(company.id, user.id, 'TOKEN', T + i, 3),
            ),
          ),
        )
        expect(
          states
            .filter((s) => s.lockedAt === null)
            .map((s) => s.failedCount)
            .sort(),
        ).toEqual([1, 2])
        expect(await store.read.locks.list(company.id, user.id)).toEqual([
          { method: 'TOKEN', failedCount: 3, lockedAt: expect.any(Number) },
        ])
        // Without a transaction too (the pool on PostgreSQL: truly parallel statements).
        await Promise.all(
          Array.from({ length: 50 }, () =>
            store.read.locks.recordFailure(company.id, user.id, 'SMS', T, 5),
          ),
        )
        const sms = (await store.read.locks.list(company.id, user.id)).find(
          (l) => l.method === 'SMS',
        )
        expect(sms).toEqual({ method: 'SMS', failedCount: 5, lockedAt: T })
      })

      it('resetFailures keeps a lock; clearLockedBefore lifts only old locks', async () => {
        const { store, company, user } = await seeded()
        await store.read.locks.recordFailure(company.id, user.id, 'VOICE', T, 3)
        await store.read.locks.resetFailures(company.id, user.id, 'VOICE')
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])
        await store.read.locks.recordFailure(company.id, user.id, 'VOICE', T, 1)
        await store.read.locks.resetFailures(company.id, user.id, 'VOICE')
        expect(await store.read.locks.list(company.id, user.id)).toHaveLength(1)
        expect(await store.read.locks.clearLockedBefore(company.id, user.id, 'VOICE', T - 1)).toBe(
          0,
        )
        expect(await store.read.locks.clearLockedBefore(company.id, user.id, 'VOICE', T)).toBe(1)
        expect(await store.read.locks.list(company.id, user.id)).toEqual([])
      })

      it('useOnline: one-time codes are consumed by exactly one of parallel uses; others stamp lastUsedAt', async () => {
        const { store, company, user } = await seeded()
        const once = newCode(company.id, user.id, { oneTimeUse: true })
        await store.read.emergencyCodes.insert(once)
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            store.read.emergencyCodes.useOnline(company.id, user.id, once.codeHash, T + 5),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        expect(await store.read.emergencyCodes.findLatest(company.id, user.id)).toMatchObject({
          revokedAt: T + 5,
          lastUsedAt: T + 5,
        })
        const many = newCode(company.id, user.id)
        await store.read.emergencyCodes.insert(many)
        expect(
          await store.read.emergencyCodes.useOnline(company.id, user.id, many.codeHash, T + 6),
        ).toBe(true)
        expect(
          await store.read.emergencyCodes.useOnline(company.id, user.id, many.codeHash, T + 7),
        ).toBe(true)
        expect(await store.read.emergencyCodes.useOnline(company.id, user.id, 'wrong', T + 7)).toBe(
          false,
        )
        expect(
          await store.read.emergencyCodes.useOnline(
            company.id,
            user.id,
            many.codeHash,
            many.expiresAt,
          ),
        ).toBe(false)
        expect(await store.read.emergencyCodes.findLatest(company.id, user.id)).toMatchObject({
          id: many.id,
          revokedAt: null,
          lastUsedAt: T + 7,
        })
      })

      it('agent keys are found by hash only, listed per company and revoked once', async () => {
        const { store, company } = await seeded()
        const key = {
          id: randomUUID(),
          companyId: company.id,
          description: 'vpn',
          createdAt: T,
          revokedAt: null,
        }
        await store.read.agentKeys.insert({ ...key, keyHash: 'h1' })
        expect(await store.read.agentKeys.findByHash('h1')).toEqual(key)
        expect(await store.read.agentKeys.findByHash('h2')).toBeUndefined()
        expect(await store.read.agentKeys.list(company.id)).toEqual([key])
        expect(await store.read.agentKeys.revoke(company.id, key.id, T + 1)).toEqual({
          ...key,
          revokedAt: T + 1,
        })
        expect(await store.read.agentKeys.revoke(company.id, key.id, T + 2)).toEqual({
          ...key,
          revokedAt: T + 1,
        })
        expect(await store.read.agentKeys.revoke(randomUUID(), key.id, T + 2)).toBeUndefined()
      })

      it('attempts: the context chain is a compare-and-set; expired or completed attempts cannot be claimed', async () => {
        const { store, company, user } = await seeded()
        const attempt = {
          id: randomUUID(),
          companyId: company.id,
          agentKeyId: randomUUID(),
          userId: user.id,
          subjectName: user.emailAddress,
          clientId: null,
          lastMessageId: 'm1',
          timeoutSeconds: 180,
          expiresAt: T + 180_000,
          keepAttempt: false,
          status: 'CHALLENGE' as const,
          reasonCode: 'AUTHENTICATION_REQUIRED',
          successfulMethods: [],
          state: { challenges: ['TOKEN' as const] },
          createdAt: T,
          updatedAt: T,
        }
        await store.read.authnAttempts.insert(attempt)
        expect(await store.read.authnAttempts.find(company.id, attempt.id)).toEqual(attempt)
        expect(await store.read.authnAttempts.find(randomUUID(), attempt.id)).toBeUndefined()
        const claims = await Promise.all(
          ['m2', 'm3', 'm4'].map((next) =>
            store.read.authnAttempts.claim(company.id, attempt.id, 'm1', {
              messageId: next,
              expiresAt: T + 200_000,
              now: T + 1,
            }),
          ),
        )
        expect(claims.filter(Boolean)).toHaveLength(1)
        const current = await store.read.authnAttempts.find(company.id, attempt.id)
        expect(current?.expiresAt).toBe(T + 200_000)
        const last = current?.lastMessageId as string
        expect(
          await store.read.authnAttempts.claim(company.id, attempt.id, last, {
            messageId: 'x',
            expiresAt: T,
            now: T + 200_000,
          }),
        ).toBe(false)
        await store.read.authnAttempts.update(company.id, attempt.id, {
          status: 'SUCCESS',
          reasonCode: 'CREDENTIAL_VERIFIED',
          successfulMethods: ['TOKEN'],
          state: { challenges: [] },
          updatedAt: T + 2,
        })
        expect(
          await store.read.authnAttempts.claim(company.id, attempt.id, last, {
            messageId: 'y',
            expiresAt: T + 9e5,
            now: T + 3,
          }),
        ).toBe(false)
        expect(await store.read.authnAttempts.find(company.id, attempt.id)).toMatchObject({
          status: 'SUCCESS',
          successfulMethods: ['TOKEN'],
        })
        await store.read.authnAttempts.remove(company.id, attempt.id)
        expect(await store.read.authnAttempts.find(company.id, attempt.id)).toBeUndefined()
      })

      it('TOTP registrations are replaced, and a step is used at most once', async () => {
        const { store, company, user } = await seeded()
        const reg = {
          id: randomUUID(),
          companyId: company.id,
          userId: user.id,
          createdAt: T,
          lastUsedStep: null,
          seedCiphertext: new Uint8Array(randomBytes(40)),
        }
        await store.read.totpAuthenticators.replace(reg)
        expect(await store.read.totpAuthenticators.find(company.id, user.id)).toEqual(reg)
        const uses = await Promise.all(
          Array.from({ length: 10 }, () =>
            store.read.totpAuthenticators.useStep(company.id, user.id, 60_000_000),
          ),
        )
        expect(uses.filter(Boolean)).toHaveLength(1)
        expect(await store.read.totpAuthenticators.useStep(company.id, user.id, 59_999_999)).toBe(
          false,
        )
        const again = { ...reg, id: randomUUID(), seedCiphertext: new Uint8Array(randomBytes(40)) }
        await store.read.totpAuthenticators.replace(again)
        expect(await store.read.totpAuthenticators.find(company.id, user.id)).toEqual(again)
      })

      it('hardware tokens: recordUse refuses replays and activates; setPin stores the hash and sets pinSet', async () => {
        const { store, company, user } = await seeded()
        const token = newToken(company.id, '0042', {
          state: 'Activation Pending',
          assignedUserId: user.id,
          assignedAt: T,
        })
        await store.read.tokens.insertMany([token])
        expect(await store.read.tokens.findSecret(company.id, '0042')).toEqual({
          seedCiphertext: new Uint8Array(token.seedCiphertext),
          pinHash: null,
          lastUsedStep: null,
          driftSteps: 0,
        })
        const uses = await Promise.all(
          Array.from({ length: 10 }, () =>
            store.read.tokens.recordUse(company.id, '0042', { step: 29_000_000, drift: -2, at: T }),
          ),
        )
        expect(uses.filter(Boolean)).toHaveLength(1)
        expect(
          await store.read.tokens.recordUse(company.id, '0042', {
            step: 28_999_999,
            drift: 0,
            at: T,
          }),
        ).toBe(false)
        await store.read.tokens.setPin(company.id, '0042', 'pin-hash')
        expect(await store.read.tokens.findSecret(company.id, '0042')).toMatchObject({
          pinHash: 'pin-hash',
          lastUsedStep: 29_000_000,
          driftSteps: -2,
        })
        expect(await store.read.tokens.findBySerial(company.id, '0042')).toMatchObject({
          state: 'Activated',
          pinSet: true,
        })
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

/** A `method_locks` row as the lockout service leaves it, for inserting straight into the table. */
const lockRow = (
  companyId: string,
  userId: string,
  method: LockableMethod,
  failedCount: number,
  lockedAt: number | null,
) => ({
  company_id: companyId,
  user_id: userId,
  method,
  failed_count: failedCount,
  locked_at: lockedAt,
  last_failure_at: T,
})

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

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ApiKeyFile } from '@tokendesk/core'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { base32Secret } from '../helpers.js'
import {
  adminCall,
  assertCliBuilt,
  cli,
  clusterEnv,
  companyWithKey,
  freshSchema,
  hex,
  type Node,
  startNode,
  stopAllNodes,
  TEST_DATABASE_URL,
  type TestSchema,
} from '../scale-out/cluster.js'

/**
 * Issue 8, Durability: the real `tokendesk serve` process takes concurrent writes and is killed
 * with SIGKILL at a random moment (no shutdown hook runs, the transaction in flight is cut).
 * After a restart on the same database, every write that was answered `200` is there, and no
 * write is half-applied: a change and its audit event are committed together or not at all.
 *
 * Each worker owns its users and tokens and sends one request at a time, so for every object
 * the order of its acknowledged writes is known, and at most one unacknowledged write (the one
 * in flight at the kill) may or may not have landed.
 */

const CYCLES = 4
const WORKERS = 6
const USERS_PER_WORKER = 2
const TOKENS_PER_WORKER = 2

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with its seed. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Reads the database directly, with no tokendesk code involved. */
interface Inspector {
  rows<R>(sql: string, values?: unknown[]): Promise<R[]>
}

interface Write {
  kind: 'eac' | 'unlock' | 'token'
  /** User id, or token serial. */
  target: string
  /** `eac`: the code id answered; `token`: the status asked for. */
  value?: string
  acknowledged: boolean
}

interface Owned {
  users: string[]
  serials: string[]
}

/** `details` is JSON text on SQLite and may come back parsed from PostgreSQL. */
const details = (value: unknown): { emergencyTokencodeId?: string } =>
  typeof value === 'string' ? JSON.parse(value) : (value as { emergencyTokencodeId?: string })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const durabilitySuite = (
  label: string,
  setup: () => Promise<{ env: NodeJS.ProcessEnv; inspector: Inspector; cleanup(): Promise<void> }>,
) => {
  it(`${label}: ${CYCLES} SIGKILL/restart cycles lose no acknowledged write and half-apply none`, async () => {
    assertCliBuilt()
    const seed = Number(process.env.TOKENDESK_DURABILITY_SEED ?? Date.now() % 2 ** 31)
    // Printed so that a failure can be replayed (TOKENDESK_DURABILITY_SEED=…).
    console.log(`durability (${label}): seed ${seed}`)
    const random = prng(seed)
    const { env, inspector, cleanup } = await setup()
    try {
      const key: ApiKeyFile = await companyWithKey(env, `Durability ${hex(3)}`)
      let node: Node = await startNode('durable', env)
      const call = (method: 'PUT' | 'PATCH' | 'POST', path: string, body?: unknown) =>
        adminCall(node.url, key, method, path, body)

      const settings = await call('PUT', '/v1/company/settings', {
        rateLimit: { requestsPerSecond: 100_000, burst: 100_000 },
      })
      expect(settings.status, JSON.stringify(settings.body)).toBe(200)

      const owned: Owned[] = []
      let serial = 0
      for (let w = 0; w < WORKERS; w += 1) {
        const mine: Owned = { users: [], serials: [] }
        for (let u = 0; u < USERS_PER_WORKER; u += 1) {
          const created = await call('POST', '/v1/users', {
            emailAddress: `durable-${w}-${u}-${hex(3)}@example.com`,
          })
          expect(created.status, JSON.stringify(created.body)).toBe(201)
          mine.users.push((created.body as { id: string }).id)
        }
        const serials = Array.from({ length: TOKENS_PER_WORKER }, () => {
          serial += 1
          return `0008${String(seed % 10_000).padStart(4, '0')}${String(serial).padStart(4, '0')}`
        })
        const imported = await call('POST', '/v1/sidTokens/import', {
          tokens: serials.map((tokenSerialNumber) => ({
            tokenSerialNumber,
            secret: base32Secret(),
          })),
        })
        expect(imported.status, JSON.stringify(imported.body)).toBe(200)
        for (const tokenSerialNumber of serials) {
          const assigned = await call('PATCH', `/v1/users/${mine.users[0]}/sidTokens/assign`, {
            tokenSerialNumber,
          })
          expect(assigned.status, JSON.stringify(assigned.body)).toBe(200)
        }
        mine.serials.push(...serials)
        owned.push(mine)
      }

      const writes: Write[] = []
      const tokenOwner = new Map<string, string>()
      for (const mine of owned) for (const s of mine.serials) tokenOwner.set(s, mine.users[0] ?? '')

      for (let cycle = 0; cycle < CYCLES; cycle += 1) {
        let running = true
        const worker = async (mine: Owned) => {
          while (running) {
            const pick = random()
            const user = mine.users[Math.floor(random() * mine.users.length)] as string
            const write: Write =
              pick < 0.45
                ? { kind: 'eac', target: user, acknowledged: false }
                : pick < 0.65
                  ? { kind: 'unlock', target: user, acknowledged: false }
                  : {
                      kind: 'token',
                      target: mine.serials[Math.floor(random() * mine.serials.length)] as string,
                      value: random() < 0.5 ? 'enable' : 'disable',
                      acknowledged: false,
                    }
            writes.push(write)
            try {
              const reply =
                write.kind === 'eac'
                  ? await call('PUT', `/v1/users/${user}/emergencyTokencode`, {})
                  : write.kind === 'unlock'
                    ? await call('PATCH', `/v1/users/${user}/methods`, {
                        unlockMethods: ['TOKEN', 'EMERGENCY_TOKENCODE'],
                      })
                    : await call(
                        'PATCH',
                        `/v1/users/${tokenOwner.get(write.target)}/sidTokens/${write.value}`,
                        { tokenSerialNumber: write.target },
                      )
              if (reply.status === 200) {
                write.acknowledged = true
                if (write.kind === 'eac') {
                  write.value = (
                    reply.body as { emergencyTokencodeId: string }
                  ).emergencyTokencodeId
                }
              } else {
                // Anything but 200 before the kill is a failure of its own (not a lost write).
                throw new Error(
                  `${write.kind} answered ${reply.status}: ${JSON.stringify(reply.body)}`,
                )
              }
            } catch (error) {
              if (running) throw error
              // Cut by the kill: neither acknowledged nor refused, it may or may not be there.
              return
            }
          }
        }
        const workers = owned.map(worker)
        await sleep(150 + Math.floor(random() * 900))
        running = false
        node.process.kill('SIGKILL')
        await node.exited
        await Promise.all(workers)
        node = await startNode('durable', env)
        expect((await call('POST', '/v1/users/lookup', { email: 'none@example.com' })).status).toBe(
          404,
        )
      }
      await node.stop()

      const acked = writes.filter((w) => w.acknowledged)
      console.log(
        `durability (${label}): ${CYCLES} cycles, ${writes.length} writes sent, ${acked.length} acknowledged ` +
          `(eac ${acked.filter((w) => w.kind === 'eac').length}, unlock ${acked.filter((w) => w.kind === 'unlock').length}, ` +
          `token ${acked.filter((w) => w.kind === 'token').length})`,
      )
      expect(acked.length).toBeGreaterThan(CYCLES * WORKERS)

      const codes = await inspector.rows<{ id: string; user_id: string; revoked_at: unknown }>(
        'select id, user_id, revoked_at from emergency_codes',
      )
      const events = await inspector.rows<{
        action: string
        target_id: string
        details: unknown
        at: unknown
      }>(
        `select action, target_id, details, at from audit_events
          where action in ('emergency_code.enabled', 'methods.unlocked', 'token.enabled', 'token.disabled')`,
      )
      const eacEvents = new Set(
        events
          .filter((e) => e.action === 'emergency_code.enabled')
          .map((e) => String(details(e.details).emergencyTokencodeId)),
      )
      const codeIds = new Set(codes.map((c) => c.id))
      // Nothing half-applied: every code row has its audit event and every event its row.
      expect([...codeIds].filter((id) => !eacEvents.has(id))).toEqual([])
      expect([...eacEvents].filter((id) => !codeIds.has(id))).toEqual([])

      for (const mine of owned) {
        for (const user of mine.users) {
          const mineWrites = writes.filter((w) => w.target === user)
          const eacs = mineWrites.filter((w) => w.kind === 'eac')
          // Every acknowledged code is stored, with its audit event.
          for (const w of eacs.filter((e) => e.acknowledged)) {
            expect(codeIds.has(w.value as string), `code ${w.value} of user ${user}`).toBe(true)
          }
          // The active code is the last acknowledged one, or one from a later, cut request.
          const active = codes.filter((c) => c.user_id === user && c.revoked_at === null)
          expect(active.length).toBeLessThanOrEqual(1)
          const lastAckIndex = eacs.findLastIndex((w) => w.acknowledged)
          const cutAfter = eacs.slice(lastAckIndex + 1).some((w) => !w.acknowledged)
          if (lastAckIndex >= 0) {
            const lastAck = eacs[lastAckIndex]?.value
            if (!cutAfter) expect(active[0]?.id, `active code of ${user}`).toBe(lastAck)
            else expect(active).toHaveLength(1)
          }
          const ownCodes = codes.filter((c) => c.user_id === user).length
          const ackedEacs = eacs.filter((w) => w.acknowledged).length
          expect(ownCodes).toBeGreaterThanOrEqual(ackedEacs)
          expect(ownCodes).toBeLessThanOrEqual(eacs.length)
          // Every acknowledged unlock has its audit event (an unlock has no other trace here).
          const unlocks = mineWrites.filter((w) => w.kind === 'unlock')
          const unlockEvents = events.filter(
            (e) => e.action === 'methods.unlocked' && e.target_id === user,
          ).length
          expect(unlockEvents).toBeGreaterThanOrEqual(unlocks.filter((w) => w.acknowledged).length)
          expect(unlockEvents).toBeLessThanOrEqual(unlocks.length)
        }
      }

      const tokens = await inspector.rows<{
        serial: string
        status: string
        status_changed_at: unknown
      }>('select serial, status, status_changed_at from tokens')
      for (const [serialNumber] of tokenOwner) {
        const row = tokens.find((t) => t.serial === serialNumber)
        expect(row, serialNumber).toBeDefined()
        const tokenWrites = writes.filter((w) => w.target === serialNumber)
        const lastAckIndex = tokenWrites.findLastIndex((w) => w.acknowledged)
        const expected = new Set<string>()
        if (lastAckIndex >= 0) {
          expected.add(tokenWrites[lastAckIndex]?.value === 'enable' ? 'Enabled' : 'Disabled')
        } else {
          expected.add('Enabled') // imported tokens start enabled
          expected.add('Disabled')
        }
        for (const w of tokenWrites.slice(lastAckIndex + 1)) {
          if (!w.acknowledged) expected.add(w.value === 'enable' ? 'Enabled' : 'Disabled')
        }
        expect([...expected], `status of token ${serialNumber}`).toContain(row?.status)
        // The status change visible in the row has its audit event, at the same instant.
        if (row?.status_changed_at !== null && row?.status_changed_at !== undefined) {
          const action = row.status === 'Enabled' ? 'token.enabled' : 'token.disabled'
          const matching = events.filter(
            (e) =>
              e.action === action &&
              e.target_id === serialNumber &&
              Number(e.at) === Number(row.status_changed_at),
          )
          expect(matching.length, `audit event of ${serialNumber} → ${row.status}`).toBe(1)
        }
      }

      // The hash chain survived every kill.
      const verified = await cli(['audit', 'verify'], env)
      expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0)
    } finally {
      await stopAllNodes()
      await cleanup()
    }
  }, 90_000)
}

afterAll(() => stopAllNodes())

describe('Durability on SQLite', () => {
  durabilitySuite('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokendesk-durability-'))
    const file = join(dir, 'data', 'tokendesk.db')
    const env = clusterEnv({ TOKENDESK_DATABASE_URL: `sqlite:${file}` })
    let db: Database.Database | undefined
    return {
      env,
      inspector: {
        rows: async <R>(sql: string, values: unknown[] = []) => {
          db ??= new Database(file, { readonly: true })
          return db.prepare(sql).all(...values) as R[]
        },
      },
      cleanup: async () => {
        db?.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  })
})

if (TEST_DATABASE_URL === undefined) {
  console.warn(
    '\n*** SKIPPED reliability/durability.test.ts on PostgreSQL: TOKENDESK_TEST_DATABASE_URL is unset (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n',
  )
}
;(TEST_DATABASE_URL === undefined ? describe.skip : describe)('Durability on PostgreSQL', () => {
  durabilitySuite('PostgreSQL', async () => {
    const schema: TestSchema = freshSchema(TEST_DATABASE_URL as string)
    const env = clusterEnv({
      TOKENDESK_DATABASE_URL: schema.url,
      TOKENDESK_SECRET_KEY: Buffer.from(hex(32), 'hex').toString('base64'),
    })
    return {
      env,
      inspector: {
        rows: async <R>(sql: string, values?: unknown[]) =>
          (await schema.query<Record<string, unknown>>(sql, values)) as unknown as R[],
      },
      cleanup: () => schema.drop(),
    }
  })
})

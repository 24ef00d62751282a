import { randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { get, USER_LOG } from '../audit/audit-helpers.js'
import { createTestApp, manualClock, type TestApp } from '../helpers.js'
import { freshSchema, TEST_DATABASE_URL } from '../scale-out/cluster.js'
import {
  Agent,
  type AuthnBody,
  agentKey,
  hardwareToken,
  registerTotp,
  tokencode,
  totpNow,
  wrongTokencode,
  wrongTotp,
} from './authn-helpers.js'

/**
 * Issue 8, brute force (docs/authn.md "Lockout", docs/events.md): 200 wrong values sent in
 * parallel for one user and one method, each in its own attempt, over the Authentication API.
 * Exactly the company's `maxFailedAttempts` of them are counted and answered VERIFY_ERROR, the
 * rest METHOD_LOCKED; the right value then fails METHOD_LOCKED too; and the user event log
 * export holds exactly one event per answer: `maxFailedAttempts` wrong-value failures (90002),
 * of which only the last says it locked the method, and METHOD_LOCKED failures (RSA code 35).
 */

const START = Date.UTC(2026, 10, 30, 9, 0, 10)
const PARALLEL = 200
/** Not the default (3): the company's setting is what counts. */
const THRESHOLD = 5

type Method = 'TOKEN' | 'SECURID' | 'EMERGENCY_TOKENCODE'

interface Backend {
  label: string
  /** The app over this database; cleaned up when the test finishes. */
  app(clock: ReturnType<typeof manualClock>): Promise<TestApp>
}

const sqlite: Backend = {
  label: 'SQLite',
  app: async (clock) => {
    const t = await createTestApp({ clock })
    onTestFinished(() => t.close())
    return t
  },
}

const postgres: Backend = {
  label: 'PostgreSQL',
  app: async (clock) => {
    const schema = freshSchema(TEST_DATABASE_URL as string)
    onTestFinished(() => schema.drop())
    const t = await createTestApp({
      clock,
      env: {
        TOKENDESK_DATABASE_URL: schema.url,
        TOKENDESK_SECRET_KEY: randomBytes(32).toString('base64'),
      },
    })
    onTestFinished(() => t.close()) // runs before the schema is dropped
    return t
  },
}

if (TEST_DATABASE_URL === undefined) {
  console.warn(
    '\n*** SKIPPED authn/brute-force.test.ts on PostgreSQL: TOKENDESK_TEST_DATABASE_URL is unset (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n',
  )
}
const backends: Backend[] = TEST_DATABASE_URL === undefined ? [sqlite] : [sqlite, postgres]

interface UserLogEntry {
  userId: string | null
  eventCode: string
  method: string | null
  authenticationDetails: string | null
}

/** Every entry of the user event log export, page by page (100 a page). */
const userEventLog = async (t: TestApp): Promise<UserLogEntry[]> => {
  const entries: UserLogEntry[] = []
  for (let page = 0; ; page++) {
    const response = await get(t, `${USER_LOG}?pageNumber=${page}`, t.company.helpDesk)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json() as { totalPages: number; userEventLogExportEntries: [] }
    entries.push(...body.userEventLogExportEntries)
    if (page + 1 >= body.totalPages) return entries
  }
}

describe.each(backends)('brute force on $label', (backend) => {
  it.each<Method>(['TOKEN', 'SECURID', 'EMERGENCY_TOKENCODE'])(
    `${PARALLEL} parallel wrong %s values lock it after exactly maxFailedAttempts, audited exactly`,
    async (method) => {
      const clock = manualClock(START)
      const t = await backend.app(clock)
      const settings = await t.call('PUT', '/v1/company/settings', {
        lockout: { maxFailedAttempts: THRESHOLD },
      })
      expect(settings.statusCode, settings.body).toBe(200)
      const key = await agentKey(t)
      const email = 'brute@example.com'
      const userId = await t.createUser(email)

      let right: () => string
      let wrong: string
      if (method === 'TOKEN') {
        const seed = await registerTotp(t, userId)
        right = () => totpNow(seed, clock.now())
        wrong = wrongTotp(seed, clock.now())
      } else if (method === 'SECURID') {
        const seed = await hardwareToken(t, userId, 'BRUTE-0001')
        right = () => tokencode(seed, clock.now()) // no PIN yet: the tokencode alone
        wrong = wrongTokencode(seed, clock.now())
      } else {
        const eac = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
        expect(eac.statusCode, eac.body).toBe(200)
        const code = eac.json().emergencyTokencode as string
        right = () => code
        wrong = code === 'ZZZZZZZZ' ? 'YYYYYYYY' : 'ZZZZZZZZ'
      }

      // 200 attempts, then their 200 wrong answers at once (400 requests: the agent key's burst).
      const agents = await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          const agent = new Agent(t, key)
          const first = await agent.initialize(email, { authMethodId: method })
          expect(first.attemptResponseCode).toBe('CHALLENGE')
          return agent
        }),
      )
      const answers = await Promise.all(agents.map((agent) => agent.verify(method, wrong)))
      clock.advance(5_000) // the agent key's bucket refills (200/s)

      const reasons = (list: AuthnBody[]) =>
        Object.fromEntries(
          ['VERIFY_ERROR', 'METHOD_LOCKED'].map((r) => [
            r,
            list.filter((a) => a.attemptReasonCode === r).length,
          ]),
        )
      expect(answers.every((a) => a.attemptResponseCode === 'FAIL')).toBe(true)
      expect(reasons(answers)).toEqual({
        VERIFY_ERROR: THRESHOLD,
        METHOD_LOCKED: PARALLEL - THRESHOLD,
      })
      for (const answer of answers) {
        expect(answer.credentialValidationResults).toEqual([
          {
            methodId: method,
            methodResponseCode: 'FAIL',
            methodReasonCode: answer.attemptReasonCode,
            authnAttributes: [],
          },
        ])
      }
      const locks = await t.runtime.store.read.locks.list(t.company.id, userId)
      expect(locks).toEqual([{ method, failedCount: THRESHOLD, lockedAt: expect.any(Number) }])

      // The right value fails too (docs/authn.md: METHOD_LOCKED whatever the value), single-step.
      const afterLock = await new Agent(t, key).initialize(email, {
        subjectCredentials: [
          { methodId: method, collectedInputs: [{ name: method, value: right() }] },
        ],
      })
      expect(afterLock).toMatchObject({
        attemptResponseCode: 'FAIL',
        attemptReasonCode: 'METHOD_LOCKED',
        credentialValidationResults: [
          { methodId: method, methodResponseCode: 'FAIL', methodReasonCode: 'METHOD_LOCKED' },
        ],
      })
      // Nor is the method offered any more.
      const forced = await new Agent(t, key).initialize(email, { authMethodId: method })
      expect(forced).toMatchObject({
        attemptResponseCode: 'FAIL',
        attemptReasonCode: 'METHOD_LOCKED',
      })

      // The user event log: one event per verification answered, no more, no less.
      const log = (await userEventLog(t)).filter((entry) => entry.userId === userId)
      const byCode = (code: string) => log.filter((entry) => entry.eventCode === code)
      expect(byCode('90002')).toHaveLength(THRESHOLD) // VERIFY_ERROR: counted failures only
      expect(byCode('35')).toHaveLength(PARALLEL - THRESHOLD + 2) // METHOD_LOCKED, + the two above
      expect(log).toHaveLength(PARALLEL + 2)
      // Each names the method, but the refused initialize, which verified nothing.
      expect(log.map((entry) => entry.method)).toEqual([
        ...Array.from({ length: PARALLEL + 1 }, () => method),
        null,
      ])
      expect(byCode('90002').every((e) => e.authenticationDetails === 'VERIFY_ERROR')).toBe(true)
      expect(byCode('35').every((e) => e.authenticationDetails === 'METHOD_LOCKED')).toBe(true)

      // Only the failure that reached the threshold says it locked the method (docs/events.md),
      // and it is the last wrong-value failure in the chain's order.
      const failures = (await t.runtime.store.read.audit.list(t.company.id)).filter(
        (event) => event.action === 'authn.failed' && event.reason === 'VERIFY_ERROR',
      )
      expect(failures.map((event) => event.details?.locked)).toEqual([
        ...Array.from({ length: THRESHOLD - 1 }, () => false),
        true,
      ])
    },
  )
})

/**
 * `tokendesk audit verify` (docs/events.md, "Tamper evidence"), run as the built binary against
 * a SQLite file that the test then tampers with directly, as an intruder with database access
 * would.
 */
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, removeSandboxes, type Sandbox, sandbox, tokendesk } from './helpers.js'

beforeAll(assertBuilt)
afterAll(removeSandboxes)

const run = async (box: Sandbox, args: readonly string[]) => {
  const result = await tokendesk(box, args)
  expect(result.code, result.stderr).toBe(0)
  return result.stdout
}

/**
 * Acme with three admin events (the company, a key, its revocation) and Globex with one, made
 * once through the CLI; each test gets its own copy of the database.
 */
let template: Sandbox
beforeAll(async () => {
  template = sandbox()
  await run(template, ['company', 'create', '--name', 'Acme'])
  await run(template, ['company', 'create', '--name', 'Globex'])
  const created = await run(template, [
    'apikey',
    'create',
    '--company',
    'Acme',
    '--role',
    'HELP_DESK_ADMIN',
    '--out',
    join(template.dir, 'a.key'),
  ])
  await run(template, ['apikey', 'revoke', /^accessID: (\S+)$/m.exec(created)?.[1] ?? ''])
}, 120_000)

const populated = async (): Promise<Sandbox> => {
  const box = sandbox()
  cpSync(join(template.dir, 'db'), join(box.dir, 'db'), { recursive: true })
  return box
}

/** Opens the sandbox's database file directly (no tokendesk code involved). */
const rawDatabase = (box: Sandbox) => new Database(box.databaseUrl.slice('sqlite:'.length))

interface Row {
  id: number
  company_id: string
  action: string
  hash: string
  prev_hash: string
}

const acmeRows = (box: Sandbox): Row[] => {
  const db = rawDatabase(box)
  try {
    return db
      .prepare(
        `select e.id, e.company_id, e.action, e.hash, e.prev_hash from audit_events e
         join companies c on c.id = e.company_id where c.name = 'Acme' order by e.id`,
      )
      .all() as Row[]
  } finally {
    db.close()
  }
}

const tamper = (box: Sandbox, statement: string, ...params: unknown[]) => {
  const db = rawDatabase(box)
  try {
    db.prepare(statement).run(...params)
  } finally {
    db.close()
  }
}

// Each test runs the binary several times (about a second each on a busy machine).
describe('tokendesk audit verify', { timeout: 90_000 }, () => {
  it('passes intact chains (exit 0), one line per chain', async () => {
    const box = await populated()
    const result = await tokendesk(box, ['audit', 'verify'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toBe('')
    const lines = result.stdout.trim().split('\n').sort()
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^Acme admin: ok, 3 events \(events \d+–\d+\)$/)
    expect(lines[1]).toMatch(/^Globex admin: ok, 1 event/)
    expect((await tokendesk(box, ['audit', 'verify', '--company', 'Globex'])).stdout).toMatch(
      /^Globex admin: ok, 1 event/,
    )
  })

  it('names an event edited in the database: its id, the expected and the stored hash', async () => {
    const box = await populated()
    const rows = acmeRows(box)
    const victim = rows[1] as Row // the key's creation
    // Make the HELP_DESK_ADMIN key look like a SUPER_ADMIN one in the audit trail.
    tamper(
      box,
      `update audit_events set details = ? where id = ?`,
      '{"role":"SUPER_ADMIN"}',
      victim.id,
    )

    const result = await tokendesk(box, ['audit', 'verify'])
    expect(result.code).toBe(1)
    const line = result.stderr.trim()
    expect(line.split('\n')).toHaveLength(1)
    expect(line).toContain('company Acme (admin)')
    expect(line).toContain(`event ${victim.id} was altered`)
    expect(line).toMatch(new RegExp(`expected hash [0-9a-f]{64}, stored ${victim.hash}$`))
    expect(line).not.toContain(`expected hash ${victim.hash}`)
    expect(result.stdout).toMatch(/^Acme admin: BROKEN after 1 event intact$/m)
    expect(result.stdout).toMatch(/^Globex admin: ok, 1 event/m)

    // The other company's chain is unaffected.
    expect((await tokendesk(box, ['audit', 'verify', '--company', 'Globex'])).code).toBe(0)
    expect((await tokendesk(box, ['audit', 'verify', '--company', 'Acme'])).code).toBe(1)
  })

  it('names the event after one that was deleted, and notices deleted newest events', async () => {
    const box = await populated()
    const rows = acmeRows(box)
    tamper(box, 'delete from audit_events where id = ?', rows[1]?.id)
    const middle = await tokendesk(box, ['audit', 'verify', '--company', 'Acme'])
    expect(middle.code).toBe(1)
    expect(middle.stderr).toContain(
      `event ${rows[2]?.id} does not follow its predecessor: expected previous hash ${rows[0]?.hash}, stored ${rows[1]?.hash}`,
    )

    const other = await populated()
    const otherRows = acmeRows(other)
    tamper(other, 'delete from audit_events where id = ?', otherRows.at(-1)?.id)
    const tail = await tokendesk(other, ['audit', 'verify', '--company', 'Acme'])
    expect(tail.code).toBe(1)
    expect(tail.stderr).toContain('the newest events are missing')
    expect(tail.stderr).toContain(`records ${otherRows.at(-1)?.hash}`)
  })

  it('fails on an unknown company (exit 1) and on bad usage (exit 2)', async () => {
    const box = await populated()
    const unknown = await tokendesk(box, ['audit', 'verify', '--company', 'Initech'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("company 'Initech' not found")
    for (const args of [['audit'], ['audit', 'check'], ['audit', 'verify', '--bogus']]) {
      expect((await tokendesk(box, args)).code, args.join(' ')).toBe(2)
    }
  })
})

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, type KeyFile, type TokendeskClient } from '@tokendesk/client'
import type { OperationContext } from '@tokendesk/core'
import { loadConfig, type RunningServer, startServer } from '@tokendesk/server'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertBuilt,
  freePort,
  removeSandboxes,
  type Sandbox,
  sandbox,
  tokendesk,
  UUID,
} from './helpers.js'

/**
 * `tokendesk remote …` (operations.md): the real built binary against a server running in this
 * process (SQLite, a loopback port), through a key file, as a help-desk operator uses it.
 */

beforeAll(assertBuilt)
afterAll(removeSandboxes)

let server: RunningServer
let box: Sandbox
let admin: TokendeskClient
let helpDeskKey: string
let revokedKey: string
let databaseFile: string
let counter = 0

const email = (label: string) => {
  counter += 1
  return `${label}-${counter}@example.com`
}

beforeAll(async () => {
  box = sandbox()
  databaseFile = join(box.dir, 'tokendesk.db')
  // The key files name the server by its public URL, which is the listen address by default:
  // pick the port first so that adminRestApiUrl is where the server really is.
  const port = await freePort()
  const config = loadConfig({
    env: {
      TOKENDESK_DATABASE_URL: `sqlite:${databaseFile}`,
      TOKENDESK_HOST: '127.0.0.1',
      TOKENDESK_PORT: String(port),
      TOKENDESK_LOG_LEVEL: 'silent',
    },
  })
  server = await startServer(config)
  const { services } = server.runtime
  const company = await services.companies.findByName('Default')
  if (!company) throw new Error('the first start created no company')
  const ctx: OperationContext = {
    companyId: company.id,
    actor: { type: 'cli', id: null, role: null },
    requestId: null,
    sourceIp: null,
  }
  const keyFile = async (role: 'SUPER_ADMIN' | 'HELP_DESK_ADMIN', name: string) => {
    const { file } = await services.apiKeys.create(ctx, { role, description: name })
    const path = join(box.dir, `${name}.key`)
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 })
    return { file, path }
  }
  const superAdmin = await keyFile('SUPER_ADMIN', 'admin')
  helpDeskKey = (await keyFile('HELP_DESK_ADMIN', 'helpdesk')).path
  const revoked = await keyFile('HELP_DESK_ADMIN', 'revoked')
  await services.apiKeys.revoke(ctx, revoked.file.accessID)
  revokedKey = revoked.path
  admin = createClient({ keyFile: superAdmin.file })
})

afterAll(async () => {
  await server?.close()
})

const remote = (args: readonly string[], key: string | null = helpDeskKey, env = box) =>
  tokendesk(env, ['remote', ...(key === null ? [] : ['--key', key]), ...args])

/** `name: value` lines as a record. */
const fields = (stdout: string): Record<string, string> =>
  Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf(': ')
        return [line.slice(0, at), line.slice(at + 2)]
      }),
  )

const lock = (userId: string, methods: readonly string[]) => {
  const db = new Database(databaseFile, { fileMustExist: true })
  try {
    const companyId = (
      db.prepare('select company_id from users where id = ?').get(userId) as {
        company_id: string
      }
    ).company_id
    const insert = db.prepare(
      `insert into method_locks (company_id, user_id, method, failed_count, locked_at, last_failure_at)
       values (?, ?, ?, ?, ?, ?)`,
    )
    for (const method of methods) insert.run(companyId, userId, method, 3, Date.now(), Date.now())
  } finally {
    db.close()
  }
}

// Sequential: every run starts a process, and the machine may be busy.
describe('tokendesk remote: success', { timeout: 90_000 }, () => {
  it('user show prints the user, human-readable and with --json; the key may come from TOKENDESK_KEY_FILE', async () => {
    const address = email('jane')
    const user = await admin.createUser({
      emailAddress: address,
      firstName: 'Jane',
      lastName: 'Doe',
    })

    const shown = await remote(['user', 'show', address])
    expect(shown, shown.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(fields(shown.stdout)).toMatchObject({
      id: user.id,
      emailAddress: address,
      name: 'Jane Doe',
      userStatus: 'Enabled',
      lockedMethods: 'none',
      emergencyAccessStatus: 'Disabled',
      smsNumber: '-',
    })

    const json = await remote(['user', 'show', address, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(user)

    const viaEnv = await remote(
      ['user', 'show', address],
      null,
      sandbox({ TOKENDESK_KEY_FILE: helpDeskKey }),
    )
    expect(viaEnv, viaEnv.stderr).toMatchObject({ code: 0, stdout: shown.stdout })
  })

  it('eac enable issues a code for N days; eac disable disables it (and is idempotent)', async () => {
    const address = email('eac')
    const user = await admin.createUser({ emailAddress: address })
    const before = Date.now()
    const enabled = await remote(['eac', 'enable', address, '--days', '2'])
    expect(enabled, enabled.stderr).toMatchObject({ code: 0, stderr: '' })
    const eac = fields(enabled.stdout)
    expect(eac.emergencyTokencode).toMatch(/^[0-9A-Z]{6,16}$/)
    expect(eac.emergencyTokencodeId).toMatch(UUID)
    const days = (Date.parse(eac.expirationDate ?? '') - before) / 86_400_000
    expect(days).toBeGreaterThan(1.99)
    expect(days).toBeLessThan(2.01)
    const details = await admin.lookupUser({ email: address })
    expect(details.emergencyTokencodeId).toBe(eac.emergencyTokencodeId)

    const disabled = await remote(['eac', 'disable', address, '--json'])
    expect(disabled, disabled.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(disabled.stdout)).toMatchObject({
      userId: user.id,
      emergencyAccessStatus: 'Disabled',
    })
    expect((await admin.lookupUser({ email: address })).emergencyAccessStatus).toBe('Disabled')

    const again = await remote(['eac', 'disable', address])
    expect(again, again.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(fields(again.stdout)).toMatchObject({ emergencyAccessStatus: 'Disabled' })
  })

  it('unlock unlocks the named methods, or TOKEN, SMS and VOICE by default', async () => {
    const address = email('locked')
    const user = await admin.createUser({ emailAddress: address })
    lock(user.id, ['TOKEN', 'SMS', 'VOICE'])
    expect(fields((await remote(['user', 'show', address])).stdout).lockedMethods).toBe(
      'TOKEN, SMS, VOICE',
    )

    const some = await remote(['unlock', address, '--methods', 'TOKEN,SMS'])
    expect(some, some.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(fields(some.stdout)).toEqual({
      userId: user.id,
      isTokenLocked: 'false',
      isSmsLocked: 'false',
      isVoiceLocked: 'true',
    })

    const all = await remote(['unlock', address, '--json'])
    expect(all.code).toBe(0)
    expect(JSON.parse(all.stdout)).toEqual({
      userId: user.id,
      isTokenLocked: false,
      isSmsLocked: false,
      isVoiceLocked: false,
    })
  })

  it('token enable / token disable change a hardware token of the user', async () => {
    const address = email('fob')
    const user = await admin.createUser({ emailAddress: address })
    const serial = `000${Date.now() % 1_000_000_000}`
    await admin.importTokens({
      tokens: [{ tokenSerialNumber: serial, secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }],
    })
    await admin.assignToken(user.id, { tokenSerialNumber: serial })

    const enabled = await remote(['token', 'enable', address, serial])
    expect(enabled, enabled.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(fields(enabled.stdout)).toMatchObject({
      userId: user.id,
      tokenSerialNumber: serial,
      tokenStatus: 'Enabled',
    })

    const disabled = await remote(['token', 'disable', address, serial, '--json'])
    expect(disabled, disabled.stderr).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(disabled.stdout)).toMatchObject({
      tokenSerialNumber: serial,
      tokenStatus: 'Disabled',
    })
  })
})

describe("tokendesk remote: failures exit 1 with the server's reason on stderr", {
  timeout: 90_000,
}, () => {
  it('an unknown user is 404', async () => {
    const result = await remote(['user', 'show', 'nobody@example.com'])
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tokendesk: 404 NOT_FOUND: User nobody@example.com not found\n',
    })
  })

  it('an unknown token serial is 404', async () => {
    const address = email('nofob')
    await admin.createUser({ emailAddress: address })
    const result = await remote(['token', 'enable', address, '999999999999'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tokendesk: 404 NOT_FOUND: /)
  })

  it("a refused key (revoked) is 403 with the server's message", async () => {
    const result = await remote(['user', 'show', 'nobody@example.com'], revokedKey)
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^tokendesk: 403 FORBIDDEN: .*Access Id/)
  })

  it('an unreadable key file or an unreachable server', async () => {
    const missing = await remote(['user', 'show', 'a@example.com'], join(box.dir, 'nope.key'))
    expect(missing).toMatchObject({ code: 1, stdout: '' })
    expect(missing.stderr).toContain('cannot read')

    const port = await freePort()
    const elsewhere = join(box.dir, 'elsewhere.key')
    const file = JSON.parse(readFileSync(helpDeskKey, 'utf8')) as KeyFile
    writeFileSync(
      elsewhere,
      JSON.stringify({
        ...file,
        adminRestApiUrl: `http://127.0.0.1:${port}/AdminInterface/restapi/`,
      }),
    )
    const unreachable = await remote(['user', 'show', 'a@example.com'], elsewhere)
    expect(unreachable).toMatchObject({ code: 1, stdout: '' })
    expect(unreachable.stderr).toContain('cannot reach the server (ECONNREFUSED)')
  })
})

describe('tokendesk remote: bad usage exits 2 before any request', {
  timeout: 90_000,
}, () => {
  it.each([
    [['user', 'show', 'a@example.com'], null, '--key FILE is required'],
    [[], undefined, 'remote: missing command'],
    [['user'], undefined, "unknown command 'remote user'"],
    [['user', 'delete', 'a@example.com'], undefined, "unknown command 'remote user delete'"],
    [['user', 'show'], undefined, 'EMAIL is required'],
    [['token', 'enable', 'a@example.com'], undefined, 'SERIAL is required'],
    [
      ['user', 'show', 'a@example.com', 'b@example.com'],
      undefined,
      "unexpected argument 'b@example.com'",
    ],
    [
      ['eac', 'enable', 'a@example.com', '--days', '8'],
      undefined,
      '--days must be a whole number from 1 to 7',
    ],
    [
      ['eac', 'enable', 'a@example.com', '--days', 'two'],
      undefined,
      '--days must be a whole number',
    ],
    [['unlock', 'a@example.com', '--methods', 'TOKEN,PASSWORD'], undefined, '--methods takes'],
    [['unlock', 'a@example.com', '--days', '2'], undefined, '--days does not apply'],
    [['user', 'show', 'a@example.com', '--bogus'], undefined, '--bogus'],
  ])('%j', async (args, key, message) => {
    // A key that cannot work: usage is checked before anything is read or sent.
    const result = await remote(args, key === null ? null : (key ?? join(box.dir, 'nope.key')))
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
  })
})

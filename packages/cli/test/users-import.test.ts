import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createStore } from '@tokendesk/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, BIN, removeSandboxes, type Sandbox, sandbox, tokendesk } from './helpers.js'

beforeAll(assertBuilt)
afterAll(removeSandboxes)

const HEADER = 'emailAddress,firstName,lastName,userStatus,smsNumber,voiceNumber'

const createCompany = async (box: Sandbox, name: string): Promise<string> => {
  const result = await tokendesk(box, ['company', 'create', '--name', name])
  expect(result, result.stderr).toMatchObject({ code: 0 })
  return result.stdout.trim()
}

const usersIn = async (box: Sandbox, companyId: string, emailLike: string) => {
  const store = await createStore(box.databaseUrl)
  try {
    return await store.read.users.countByEmail(companyId, emailLike)
  } finally {
    await store.close()
  }
}

const csvOf = (count: number, domain: string) =>
  `${HEADER}\n${Array.from({ length: count }, (_, i) => `u${i}@${domain},U,${i},Enabled,,`).join('\n')}\n`

// Each test runs the binary several times: one at a time, with room for a loaded machine.
describe('tokendesk users import', { timeout: 120_000 }, () => {
  it('imports a CSV file, with plain progress lines on stderr when it is not a terminal', async () => {
    const box = sandbox()
    const companyId = await createCompany(box, 'Acme')
    const file = join(box.dir, 'users.csv')
    writeFileSync(file, csvOf(3_000, 'cli.example.com'))
    const result = await tokendesk(box, ['users', 'import', '--company', 'Acme', file])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe('imported: 3000\n')
    const lines = result.stderr.trim().split('\n')
    expect(lines).toEqual(['importing: 2000/3000 (66%)', 'importing: 3000/3000 (100%)'])
    expect(result.stderr).not.toContain('\r')
    expect(await usersIn(box, companyId, '@cli.example.com')).toBe(3_000)
  })

  it('draws a progress bar on a terminal (stderr), the result alone on stdout', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const file = join(box.dir, 'users.csv')
    writeFileSync(file, csvOf(4_000, 'tty.example.com'))
    // `script` gives the command a pseudo-terminal, as an operator's shell would.
    const command = [process.execPath, BIN, 'users', 'import', '--company', 'Acme', file]
      .map((part) => `'${part}'`)
      .join(' ')
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        { cwd: box.dir, env: box.env, timeout: 60_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      )
    })
    expect(output).toMatch(/\rimporting \[#{30}\] 100% 4000\/4000/)
    expect(output).toMatch(/\rimporting \[#*\.+\]\s+\d+% 2000\/4000/)
    expect(output).toContain('imported: 4000')
  })

  it('imports NDJSON (by extension) and honours --dry-run', async () => {
    const box = sandbox()
    const companyId = await createCompany(box, 'Acme')
    const file = join(box.dir, 'users.ndjson')
    writeFileSync(
      file,
      `${JSON.stringify({ emailAddress: 'a@nd.example.com' })}\n${JSON.stringify({ emailAddress: 'b@nd.example.com' })}\n`,
    )
    const dry = await tokendesk(box, ['users', 'import', '--company', 'Acme', '--dry-run', file])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toBe('wouldImport: 2\n')
    expect(await usersIn(box, companyId, '@nd.example.com')).toBe(0)
    const real = await tokendesk(box, ['users', 'import', '--company', 'Acme', file])
    expect(real.stdout).toBe('imported: 2\n')
    expect(await usersIn(box, companyId, '@nd.example.com')).toBe(2)
  })

  it('reports every bad row with its line on stderr, imports nothing, exit 1', async () => {
    const box = sandbox()
    const companyId = await createCompany(box, 'Acme')
    const file = join(box.dir, 'bad.csv')
    writeFileSync(
      file,
      `${HEADER}\nok1@bad.example.com,,,,,\nnope,,,,,\nok2@bad.example.com,,,Sleeping,,\nOK1@bad.example.com,,,,,\n`,
    )
    const result = await tokendesk(box, ['users', 'import', '--company', 'Acme', file])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toEqual([
      "line 3: invalid email address 'nope'",
      "line 4: userStatus must be Enabled or Disabled, not 'Sleeping'",
      'line 5: emailAddress OK1@bad.example.com already appears on line 2',
      'tokendesk: nothing was imported: 3 invalid rows',
    ])
    expect(await usersIn(box, companyId, '@bad.example.com')).toBe(0)
  })
})

describe.concurrent('tokendesk users import: usage', { timeout: 60_000 }, () => {
  it.each([
    [['users', 'import', '--company', 'Acme'], 'FILE is required'],
    [['users', 'import', 'x.csv'], '--company is required'],
    [['users', 'import', '--company', 'Acme', 'users.txt'], 'cannot tell the format'],
    [['users', 'import', '--company', 'Acme', '--format', 'xml', 'u.txt'], '--format must be'],
    [['users', 'export', '--company', 'Acme'], "unknown command 'users export'"],
  ])('%j is bad usage, exit 2', async (args, message) => {
    const box = sandbox()
    const result = await tokendesk(box, args)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
  })

  it('fails with exit 1 for an unknown company or a missing file', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const file = join(box.dir, 'users.csv')
    writeFileSync(file, csvOf(1, 'x.example.com'))
    const unknown = await tokendesk(box, ['users', 'import', '--company', 'Nope', file])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr.trim()).toBe("tokendesk: company 'Nope' not found")
    const missing = await tokendesk(box, ['users', 'import', '--company', 'Acme', 'none.csv'])
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe('tokendesk: cannot read none.csv: ENOENT')
  })
})

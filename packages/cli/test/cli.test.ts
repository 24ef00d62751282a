import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertBuilt,
  freePort,
  LAUNCHER,
  removeSandboxes,
  type Sandbox,
  sandbox,
  tokendesk,
  UUID,
} from './helpers.js'

beforeAll(assertBuilt)
afterAll(removeSandboxes)

const KEY_FILE_FIELDS = ['accessID', 'accessKey', 'adminRestApiUrl', 'customerName', 'description']

const createCompany = async (box: Sandbox, name: string): Promise<string> => {
  const result = await tokendesk(box, ['company', 'create', '--name', name])
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' })
  return result.stdout.trim()
}

/** `apikey create` output: `accessID: …` and `keyFile: …` lines. */
const created = (stdout: string): { accessId: string; keyFile: string } => {
  const accessId = /^accessID: (\S+)$/m.exec(stdout)?.[1]
  const keyFile = /^keyFile: (.+)$/m.exec(stdout)?.[1]
  if (!accessId || !keyFile) throw new Error(`unexpected output: ${stdout}`)
  return { accessId, keyFile }
}

const listJson = async (box: Sandbox, company: string) => {
  const result = await tokendesk(box, ['apikey', 'list', '--company', company, '--json'])
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(result.stdout) as {
    accessID: string
    role: string
    description: string | null
    createdAt: string
    lastUsedAt: string | null
    revokedAt: string | null
  }[]
}

// Independent short runs, each in its own sandbox: concurrent.
describe.concurrent('usage', () => {
  it('prints the usage on help and --help, exit 0', async () => {
    const box = sandbox()
    for (const args of [['help'], ['--help'], ['apikey', 'create', '--help']]) {
      const result = await tokendesk(box, args)
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('tokendesk apikey create --company NAME')
    }
  })

  it('runs the same command through the launcher npm links as node_modules/.bin/tokendesk', async () => {
    const box = sandbox()
    expect(statSync(LAUNCHER).mode & 0o111).not.toBe(0)
    const viaLauncher = await tokendesk(box, ['help'], LAUNCHER)
    expect(viaLauncher).toEqual(await tokendesk(box, ['help']))
    expect((await tokendesk(box, ['frobnicate'], LAUNCHER)).code).toBe(2)
  })

  it.each([
    [[], 'Usage'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['company', 'delete', '--name', 'A'], "unknown command 'company delete'"],
    [['company', 'create'], '--name is required'],
    [['company', 'create', '--name', 'A', '--bogus'], '--bogus'],
    [['company', 'create', '--name', 'A', 'extra'], "unexpected argument 'extra'"],
    [['apikey', 'create', '--company', 'A', '--out', 'k.key'], '--role is required'],
    [['apikey', 'create', '--company', 'A', '--role', 'ROOT'], '--role must be one of'],
    [['apikey', 'list'], '--company is required'],
    [['apikey', 'revoke'], 'ACCESS_ID is required'],
    [['serve', '--port', 'abc'], '--port must be an integer'],
    [['serve', '--port', '65536'], '--port must be an integer'],
    // Only the local commands read the configuration (docs/configuration.md).
    [['remote', '--config', 'tokendesk.json', 'user', 'show', 'a@example.com'], "'--config'"],
  ])('%j exits 2 without touching the database', async (args, message) => {
    const box = sandbox()
    const result = await tokendesk(box, args)
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stdout).toBe('')
    expect(existsSync(join(box.dir, 'db'))).toBe(false)
  })
})

describe('configuration', () => {
  it('reports every invalid variable together, exit 1, no stack trace', async () => {
    const box = sandbox({ TOKENDESK_PORT: 'abc', TOKENDESK_LOG_LEVEL: 'loud' })
    const result = await tokendesk(box, ['company', 'create', '--name', 'Acme'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('TOKENDESK_PORT')
    expect(result.stderr).toContain('TOKENDESK_LOG_LEVEL')
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(box.dir, 'db'))).toBe(false)
  })

  it('reads --config FILE, the environment overriding it', async () => {
    const box = sandbox()
    const file = join(box.dir, 'tokendesk.json')
    writeFileSync(
      file,
      JSON.stringify({ maxActiveApiKeys: 1, databaseUrl: 'sqlite:/nonexistent/ignored.db' }),
    )
    await createCompany(box, 'Acme')
    const args = ['apikey', 'create', '--company', 'Acme', '--role', 'HELP_DESK_ADMIN', '--config']
    const first = await tokendesk(box, [...args, file, '--out', join(box.dir, 'one.key')])
    expect(first.code, first.stderr).toBe(0)
    const second = await tokendesk(box, [...args, file, '--out', join(box.dir, 'two.key')])
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('active API keys')
    expect(existsSync(join(box.dir, 'two.key'))).toBe(false)
  })

  it('names a --config file that is not JSON, exit 1', async () => {
    const box = sandbox()
    const file = join(box.dir, 'tokendesk.json')
    writeFileSync(file, 'port = 8080')
    const result = await tokendesk(box, ['company', 'create', '--name', 'Acme', '--config', file])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(file)
  })
})

describe('company create', () => {
  it('prints the new company id, and refuses a duplicate name', async () => {
    const box = sandbox()
    const id = await createCompany(box, 'Acme')
    expect(id).toMatch(UUID)
    expect(await createCompany(box, 'Other')).not.toBe(id)
    const again = await tokendesk(box, ['company', 'create', '--name', 'Acme'])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^tokendesk: .+\n$/)
  })
})

// Each CLI run starts a process (about a second on a busy 2-core machine): allow a minute.
describe('apikey', { timeout: 60_000 }, () => {
  it('creates a key file (0600, the key-file fields only) that is never overwritten', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const out = join(box.dir, 'keys', 'helpdesk.key')
    const args = ['apikey', 'create', '--company', 'Acme', '--role', 'HELP_DESK_ADMIN']
    const result = await tokendesk(box, [...args, '--description', 'automation', '--out', out])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).not.toContain('PRIVATE KEY')
    const { accessId, keyFile } = created(result.stdout)
    expect(accessId).toMatch(UUID)
    expect(keyFile).toBe(out)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const file = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>
    expect(Object.keys(file).sort()).toEqual(KEY_FILE_FIELDS)
    expect(file).toMatchObject({
      customerName: 'Acme',
      accessID: accessId,
      description: 'automation',
      adminRestApiUrl: 'http://127.0.0.1:8080/AdminInterface/restapi/',
    })
    expect(file.accessKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/)
    expect(file.accessKey).toMatch(/-----END RSA PRIVATE KEY-----\n$/)

    const before = readFileSync(out, 'utf8')
    const again = await tokendesk(box, [...args, '--out', out])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already exists')
    expect(readFileSync(out, 'utf8')).toBe(before)
    expect((await listJson(box, 'Acme')).map((k) => k.accessID)).toEqual([accessId])
  })

  it('derives adminRestApiUrl from TOKENDESK_PUBLIC_URL', async () => {
    const box = sandbox({ TOKENDESK_PUBLIC_URL: 'https://mfa.example.com' })
    await createCompany(box, 'Acme')
    const out = join(box.dir, 'admin.key')
    const args = ['apikey', 'create', '--company', 'Acme', '--role', 'SUPER_ADMIN', '--out', out]
    expect((await tokendesk(box, args)).code).toBe(0)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      // No --description: null, as in `apikey list` and the API (admin-api.md §1).
      description: null,
      adminRestApiUrl: 'https://mfa.example.com/AdminInterface/restapi/',
    })
  })

  it('writes keys/<accessID>.key beside the SQLite database without --out', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const result = await tokendesk(box, [
      'apikey',
      'create',
      '--company',
      'Acme',
      '--role',
      'SUPER_ADMIN',
    ])
    expect(result.code, result.stderr).toBe(0)
    const { accessId, keyFile } = created(result.stdout)
    expect(keyFile).toBe(join(box.dir, 'db', 'keys', `${accessId}.key`))
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(box.dir, 'db', 'keys'))).toEqual([`${accessId}.key`])
  })

  it('lists keys as a table and as JSON, and revokes them', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    await createCompany(box, 'Other')
    const create = async (company: string, role: string, description: string) => {
      const out = join(box.dir, `${company}-${role}.key`)
      const result = await tokendesk(box, [
        'apikey',
        'create',
        '--company',
        company,
        '--role',
        role,
        '--description',
        description,
        '--out',
        out,
      ])
      expect(result.code, result.stderr).toBe(0)
      return created(result.stdout).accessId
    }
    const admin = await create('Acme', 'SUPER_ADMIN', 'ops team')
    const helpdesk = await create('Acme', 'HELP_DESK_ADMIN', 'help desk')
    const other = await create('Other', 'SUPER_ADMIN', 'other company')

    const table = await tokendesk(box, ['apikey', 'list', '--company', 'Acme'])
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ACCESS ID\s+ROLE\s+DESCRIPTION\s+CREATED\s+LAST USED\s+REVOKED$/)
    expect(lines).toHaveLength(3)
    expect(table.stdout).toMatch(
      new RegExp(`${admin}\\s+SUPER_ADMIN\\s+ops team\\s+\\S+Z\\s+-\\s+-`),
    )
    expect(table.stdout).toContain(helpdesk)
    expect(table.stdout).not.toContain(other)

    const listed = await listJson(box, 'Acme')
    expect(listed.map((k) => k.accessID).sort()).toEqual([admin, helpdesk].sort())
    expect(listed.find((k) => k.accessID === helpdesk)).toMatchObject({
      role: 'HELP_DESK_ADMIN',
      description: 'help desk',
      lastUsedAt: null,
      revokedAt: null,
    })

    const revoked = await tokendesk(box, ['apikey', 'revoke', helpdesk])
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toMatch(
      new RegExp(`^accessID: ${helpdesk}\\nrevokedAt: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`),
    )
    const revokedAt = /revokedAt: (\S+)/.exec(revoked.stdout)?.[1]
    const after = await listJson(box, 'Acme')
    expect(after.find((k) => k.accessID === helpdesk)?.revokedAt).toBe(revokedAt)
    expect(after.find((k) => k.accessID === admin)?.revokedAt).toBeNull()
    expect((await listJson(box, 'Other'))[0]?.revokedAt).toBeNull()
  })

  it('fails with a clear message on an unknown company or key, exit 1', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const out = join(box.dir, 'k.key')
    const create = await tokendesk(box, [
      'apikey',
      'create',
      '--company',
      'Nobody',
      '--role',
      'SUPER_ADMIN',
      '--out',
      out,
    ])
    expect(create.code).toBe(1)
    expect(create.stderr).toBe("tokendesk: company 'Nobody' not found\n")
    expect(existsSync(out)).toBe(false)
    const list = await tokendesk(box, ['apikey', 'list', '--company', 'Nobody'])
    expect(list.code).toBe(1)
    expect(list.stderr).toBe("tokendesk: company 'Nobody' not found\n")
    const unknown = '00000000-0000-4000-8000-000000000000'
    const revoke = await tokendesk(box, ['apikey', 'revoke', unknown])
    expect(revoke.code).toBe(1)
    expect(revoke.stderr).toBe(`tokendesk: API key ${unknown} not found\n`)
  })
})

describe('migrate', () => {
  it('applies the migrations once, then reports the same version', async () => {
    const box = sandbox()
    const first = await tokendesk(box, ['migrate'])
    expect(first.code, first.stderr).toBe(0)
    const applied = [...first.stdout.matchAll(/^applied: (\S+)$/gm)].map((m) => m[1])
    expect(applied.length).toBeGreaterThan(0)
    expect(first.stdout).toMatch(new RegExp(`version: ${applied.at(-1)}\\n$`))
    expect(existsSync(join(box.dir, 'db', 'tokendesk.db'))).toBe(true)

    const second = await tokendesk(box, ['migrate'])
    expect(second).toEqual({ code: 0, stdout: `version: ${applied.at(-1)}\n`, stderr: '' })
    // The migrated database serves the other commands.
    expect(await createCompany(box, 'Acme')).toMatch(UUID)
  })

  it('fails with exit 1 and one line on a database it cannot open', async () => {
    const box = sandbox()
    const notADirectory = join(box.dir, 'not-a-directory')
    writeFileSync(notADirectory, '')
    box.env.TOKENDESK_DATABASE_URL = `sqlite:${join(notADirectory, 'tokendesk.db')}`
    const result = await tokendesk(box, ['migrate'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^tokendesk: .+\n$/)
  })
})

describe.concurrent('a SQLite database that does not exist', () => {
  const noDatabase = (box: Sandbox) =>
    `tokendesk: no database at ${join(box.dir, 'db', 'tokendesk.db')} (start the service or run "tokendesk migrate" first)\n`
  const uuid = '00000000-0000-4000-8000-000000000000'

  it.each([
    [['apikey', 'create', '--company', 'Acme', '--role', 'SUPER_ADMIN', '--out', 'k.key']],
    [['apikey', 'list', '--company', 'Acme']],
    [['apikey', 'revoke', uuid]],
    [['agentkey', 'create', '--company', 'Acme', '--out', 'agent.key']],
    [['agentkey', 'list', '--company', 'Acme']],
    [['agentkey', 'revoke', '--company', 'Acme', uuid]],
    [['users', 'import', '--company', 'Acme', 'users.csv']],
    [['tokens', 'import', '--company', 'Acme', 'tokens.json']],
    [['audit', 'verify']],
  ])('%j: exit 1 naming it, and none is created', async (args) => {
    const box = sandbox()
    writeFileSync(join(box.dir, 'users.csv'), 'emailAddress\njane@example.com\n')
    writeFileSync(join(box.dir, 'tokens.json'), '{"tokens": []}')
    const result = await tokendesk(box, args)
    expect(result).toEqual({ code: 1, stdout: '', stderr: noDatabase(box) })
    expect(existsSync(join(box.dir, 'db'))).toBe(false)
  })

  it('is created by company create, the first command of a fresh install', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    expect(existsSync(join(box.dir, 'db', 'tokendesk.db'))).toBe(true)
    const list = await tokendesk(box, ['apikey', 'list', '--company', 'Acme', '--json'])
    expect(list, list.stderr).toMatchObject({ code: 0, stdout: '[]\n' })
  })
})

describe('the secret beside the SQLite database', { timeout: 60_000 }, () => {
  it('missing while the database holds data: every command refuses, naming the file', async () => {
    const box = sandbox()
    await createCompany(box, 'Acme')
    const secretFile = join(box.dir, 'db', 'secret.key')
    renameSync(secretFile, `${secretFile}.bak`)
    for (const args of [
      ['apikey', 'list', '--company', 'Acme'],
      ['company', 'create', '--name', 'Other'],
    ]) {
      const result = await tokendesk(box, args)
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`restore ${secretFile}`)
      expect(result.stderr).toContain('set TOKENDESK_SECRET_KEY')
      expect(existsSync(secretFile)).toBe(false)
    }
    renameSync(`${secretFile}.bak`, secretFile)
    const list = await tokendesk(box, ['apikey', 'list', '--company', 'Acme', '--json'])
    expect(list, list.stderr).toMatchObject({ code: 0, stdout: '[]\n' })
  })
})

describe('PostgreSQL', () => {
  it('unreachable: names its host:port, never the password', async () => {
    const port = await freePort()
    const box = sandbox({
      TOKENDESK_DATABASE_URL: `postgres://tokendesk:hunter2@127.0.0.1:${port}/tokendesk`,
      TOKENDESK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
    })
    const expected = `tokendesk: the database at 127.0.0.1:${port} is unreachable (ECONNREFUSED)\n`
    for (const args of [
      ['company', 'create', '--name', 'Acme'],
      ['apikey', 'list', '--company', 'Acme'],
    ]) {
      expect(await tokendesk(box, args)).toEqual({ code: 1, stdout: '', stderr: expected })
    }
    const serve = await tokendesk(box, ['serve', '--port', '0'])
    expect(serve).toMatchObject({ code: 1, stderr: expected })
    expect(serve.stdout).not.toContain('hunter2')
    // migrate needs no secret.
    delete box.env.TOKENDESK_SECRET_KEY
    expect(await tokendesk(box, ['migrate'])).toEqual({ code: 1, stdout: '', stderr: expected })
  })

  it('reports the secret, the schema name and the TLS files with the schema errors, in one run', async () => {
    const box = sandbox({
      TOKENDESK_DATABASE_URL: 'postgres://tokendesk:hunter2@127.0.0.1:1/tokendesk?schema=Bad-Name',
      TOKENDESK_PORT: 'abc',
      TOKENDESK_TLS_CERT: join('missing', 'cert.pem'),
      TOKENDESK_TLS_KEY: join('missing', 'key.pem'),
    })
    const result = await tokendesk(box, ['serve'])
    expect(result.code).toBe(1)
    expect(result.stderr.split('\n').map((line) => /^ {2}- (\S+)/.exec(line)?.[1])).toEqual([
      undefined, // tokendesk: invalid configuration:
      'TOKENDESK_PORT',
      'TOKENDESK_TLS_CERT',
      'TOKENDESK_TLS_KEY',
      'TOKENDESK_SECRET_KEY',
      'TOKENDESK_DATABASE_URL',
      undefined, // the final newline
    ])
    expect(result.stderr).not.toContain('hunter2')
  })

  it('checks the TLS files for serve only: the other commands never open them', async () => {
    const box = sandbox({
      TOKENDESK_TLS_CERT: join('missing', 'cert.pem'),
      TOKENDESK_TLS_KEY: join('missing', 'key.pem'),
    })
    expect(await tokendesk(box, ['company', 'create', '--name', 'Acme'])).toMatchObject({ code: 0 })
    const serve = await tokendesk(box, ['serve', '--port', '0'])
    expect(serve.code).toBe(1)
    expect(serve.stderr).toContain('TOKENDESK_TLS_CERT (tlsCert): cannot read')
  })
})

import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, removeSandboxes, sandbox, tokendesk, UUID } from './helpers.js'

beforeAll(assertBuilt)
afterAll(removeSandboxes)

describe('tokendesk agentkey', () => {
  it('create writes the agent key file once (mode 0600); list shows it, revoke revokes it', async () => {
    const box = sandbox({ TOKENDESK_PUBLIC_URL: 'https://mfa.example.com' })
    expect((await tokendesk(box, ['company', 'create', '--name', 'Acme'])).code).toBe(0)
    const out = join(box.dir, 'agent.key')
    const created = await tokendesk(box, ['agentkey', 'create', '--company', 'Acme', '--out', out])
    expect(created.code, created.stderr).toBe(0)
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const file = JSON.parse(readFileSync(out, 'utf8'))
    expect(Object.keys(file).sort()).toEqual([
      'authnApiUrl',
      'clientKey',
      'clientKeyId',
      'customerName',
    ])
    expect(file).toMatchObject({
      customerName: 'Acme',
      authnApiUrl: 'https://mfa.example.com/mfa/v1_1',
    })
    expect(file.clientKeyId).toMatch(UUID)
    expect(file.clientKey).toMatch(/^[a-z0-9]{40,}$/)
    expect(created.stdout).toContain(`clientKeyId: ${file.clientKeyId}`)
    expect(created.stdout).not.toContain(file.clientKey)

    const again = await tokendesk(box, ['agentkey', 'create', '--company', 'Acme', '--out', out])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('refusing to overwrite')

    const listed = await tokendesk(box, ['agentkey', 'list', '--company', 'Acme', '--json'])
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        clientKeyId: file.clientKeyId,
        description: null,
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ])
    const revoked = await tokendesk(box, [
      'agentkey',
      'revoke',
      '--company',
      'Acme',
      file.clientKeyId,
    ])
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toMatch(/revokedAt: \d{4}-/)
  })

  it('needs --company and --out (exit 2, nothing created)', async () => {
    const box = sandbox()
    const result = await tokendesk(box, ['agentkey', 'create', '--company', 'Acme'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--out is required')
    expect(existsSync(join(box.dir, 'db'))).toBe(false)
  })
})

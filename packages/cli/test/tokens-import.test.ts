import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeBase32 } from '@tokendesk/core'
import { createStore } from '@tokendesk/storage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertBuilt, removeSandboxes, type Sandbox, sandbox, tokendesk } from './helpers.js'

beforeAll(assertBuilt)
afterAll(removeSandboxes)

const NS = 'urn:ietf:params:xml:ns:keyprov:pskc'

/** RFC 6030 Figure 2 style: seeds in clear. */
const plainPskc = (serials: string[]) => `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="${NS}">${serials
  .map(
    (serial) => `
  <KeyPackage>
    <DeviceInfo><Manufacturer>Acme Tokens</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="k-${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>${randomBytes(20).toString('base64')}</PlainValue></Secret>
        <TimeInterval><PlainValue>60</PlainValue></TimeInterval>
      </Data>
    </Key>
  </KeyPackage>`,
  )
  .join('')}
</KeyContainer>`

const tokensOf = async (box: Sandbox, companyId: string) => {
  const store = await createStore(box.databaseUrl)
  try {
    const serials = ['000123', '123', '7001', '7002']
    return (await store.read.tokens.existingSerials(companyId, serials)).sort()
  } finally {
    await store.close()
  }
}

describe('tokendesk tokens import', { timeout: 120_000 }, () => {
  it('imports JSON and PSKC files all or nothing, and names every duplicate', async () => {
    const box = sandbox()
    const created = await tokendesk(box, ['company', 'create', '--name', 'Acme'])
    expect(created.code, created.stderr).toBe(0)
    const companyId = created.stdout.trim()

    const json = join(box.dir, 'tokens.json')
    const secret = () => encodeBase32(randomBytes(20))
    writeFileSync(
      json,
      JSON.stringify({
        tokens: [
          { tokenSerialNumber: '000123', secret: secret() },
          { tokenSerialNumber: '123', secret: secret(), digits: 8, period: 30 },
        ],
      }),
    )
    const dry = await tokendesk(box, ['tokens', 'import', '--company', 'Acme', '--dry-run', json])
    expect(dry, dry.stderr).toMatchObject({ code: 0, stdout: 'wouldImport: 2\n' })
    expect(await tokensOf(box, companyId)).toEqual([])

    const first = await tokendesk(box, ['tokens', 'import', '--company', 'Acme', json])
    expect(first, first.stderr).toMatchObject({ code: 0, stdout: 'imported: 2\n000123\n123\n' })

    const pskc = join(box.dir, 'tokens.pskc')
    writeFileSync(pskc, plainPskc(['7001', '7002']))
    const second = await tokendesk(box, ['tokens', 'import', '--company', 'Acme', pskc])
    expect(second, second.stderr).toMatchObject({ code: 0, stdout: 'imported: 2\n7001\n7002\n' })
    expect(await tokensOf(box, companyId)).toEqual(['000123', '123', '7001', '7002'])

    // The same file again: every serial named, nothing imported, exit 1.
    const again = await tokendesk(box, ['tokens', 'import', '--company', 'Acme', json])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('000123')
    expect(again.stderr).toContain('123')
    expect(again.stdout).toBe('')
  })

  it('refuses bad files with exit 1 and bad usage with exit 2', async () => {
    const box = sandbox()
    expect((await tokendesk(box, ['company', 'create', '--name', 'Acme'])).code).toBe(0)
    const garbage = join(box.dir, 'garbage.txt')
    writeFileSync(garbage, 'serial,secret\n1,ABC\n')
    const bad = await tokendesk(box, ['tokens', 'import', '--company', 'Acme', garbage])
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toBe(`tokendesk: ${garbage} is neither PSKC (XML) nor JSON`)
    const usage = await tokendesk(box, ['tokens', 'import', garbage])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--company')
  })
})

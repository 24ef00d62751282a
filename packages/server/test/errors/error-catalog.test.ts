import { readFileSync } from 'node:fs'
import { ERRORS } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { HTTP_STATUS } from '../../src/http/error-status.js'

const table = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8')
const documented = new Map(
  [...table.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map((m) => [m[1], Number(m[2])]),
)

describe('error catalog', () => {
  it('documents every code with its status, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERRORS).sort())
    for (const [code, status] of documented) {
      expect(HTTP_STATUS[code as keyof typeof HTTP_STATUS], code).toBe(status)
    }
  })
})

/**
 * The export catalogue (core/src/audit.ts AUDIT_CATALOGUE): every action has a stable code,
 * codes are unique within their log, and docs/events.md lists exactly the catalogue.
 */
import { readFileSync } from 'node:fs'
import { AUDIT_ACTIONS, AUDIT_CATALOGUE, auditKindOf } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'

const doc = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8')
/** Rows of the catalogue table: | `action` | kind | `KEY` or description | code |. */
const documented = new Map(
  [...doc.matchAll(/^\| `([a-z_.]+)` \| (admin|user) \| ([^|]+) \| (\d+) \|/gm)].map((m) => [
    m[1],
    { kind: m[2], label: (m[3] ?? '').trim(), code: Number(m[4]) },
  ]),
)

describe('audit catalogue', () => {
  it('gives every action in AUDIT_ACTIONS an entry', () => {
    const missing = AUDIT_ACTIONS.filter((action) => AUDIT_CATALOGUE[action] === undefined)
    expect(missing).toEqual([])
  })

  it('keeps codes unique within each log', () => {
    const admin = Object.values(AUDIT_CATALOGUE).flatMap((e) =>
      e?.kind === 'admin' ? [e.activityCode] : [],
    )
    const keys = Object.values(AUDIT_CATALOGUE).flatMap((e) =>
      e?.kind === 'admin' ? [e.activityKey] : [],
    )
    const user = Object.values(AUDIT_CATALOGUE).flatMap((e) =>
      e?.kind === 'user'
        ? [e.eventCode, ...Object.values(e.byReason ?? {}).map((r) => r.eventCode)]
        : [],
    )
    expect(new Set(admin).size).toBe(admin.length)
    expect(new Set(keys).size).toBe(keys.length)
    expect(new Set(user).size).toBe(user.length)
  })

  it('files verifications (authn.*) as user events and changes as admin events', () => {
    expect(auditKindOf('authn.failed')).toBe('user')
    expect(auditKindOf('user.created')).toBe('admin')
    for (const action of AUDIT_ACTIONS) {
      if (action.startsWith('authn.')) expect(auditKindOf(action), action).toBe('user')
    }
  })

  it('is documented in docs/events.md, action by action, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual([...AUDIT_ACTIONS].sort())
    for (const [action, row] of documented) {
      const entry = AUDIT_CATALOGUE[action as (typeof AUDIT_ACTIONS)[number]]
      expect(row.kind, action).toBe(entry?.kind)
      if (entry?.kind === 'admin') {
        expect(row, action).toMatchObject({
          label: `\`${entry.activityKey}\``,
          code: entry.activityCode,
        })
      } else {
        expect(row.code, action).toBe(entry?.eventCode)
      }
    }
  })
})

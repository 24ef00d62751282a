import type { ApiKeyFile, AuditAction, AuditEvent } from '@tokendesk/core'
import type { LightMyRequestResponse } from 'fastify'
import { signJwt, type TestApp } from '../helpers.js'

/** GET of a raw URL (any spelling, any query string) with a fresh JWT of `key`. */
export const get = async (
  t: TestApp,
  url: string,
  key: ApiKeyFile = t.company.superAdmin,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> =>
  t.app.inject({
    method: 'GET',
    url,
    headers: {
      authorization: `Bearer ${await signJwt(key, {}, {}, t.runtime.clock.now())}`,
      ...headers,
    },
  })

export const ADMIN_LOG = '/AdminInterface/restapi/v1/adminlog/exportlogs'
export const USER_LOG = '/AdminInterface/restapi/v1/usereventlog/exportlogs'

/** A user event as the Authentication API writes it (action `authn.*`, details it reads). */
export const userEvent = (
  companyId: string,
  at: number,
  overrides: Partial<AuditEvent> = {},
): AuditEvent => ({
  companyId,
  at,
  action: 'authn.succeeded' as AuditAction,
  actor: { type: 'agent_key', id: 'agent-1', role: null },
  targetType: 'user',
  targetId: '5b0c1c8e-3d0a-4f43-9a55-2f0f4a3d8f2e',
  result: 'success',
  reason: 'CREDENTIAL_VERIFIED',
  requestId: 'req-1',
  sourceIp: '192.0.2.7',
  details: { method: 'TOKEN', attemptId: 'attempt-1', clientId: 'vpn-gateway' },
  ...overrides,
})

/** An admin event as a change through the CLI writes it. */
export const adminEvent = (
  companyId: string,
  at: number,
  overrides: Partial<AuditEvent> = {},
): AuditEvent => ({
  companyId,
  at,
  action: 'user.status_changed',
  actor: { type: 'cli', id: null, role: null },
  targetType: 'user',
  targetId: '5b0c1c8e-3d0a-4f43-9a55-2f0f4a3d8f2e',
  result: 'success',
  reason: null,
  requestId: null,
  sourceIp: null,
  details: { from: 'Enabled', to: 'Disabled' },
  ...overrides,
})

/** Appends events straight through the store, in one transaction. */
export const appendAll = (t: TestApp, events: readonly AuditEvent[]): Promise<void> =>
  t.runtime.store.transaction(async (tx) => {
    for (const event of events) await tx.audit.append(event)
  })

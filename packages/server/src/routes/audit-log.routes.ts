import {
  type AdminActivity,
  AUDIT_CATALOGUE,
  type Role,
  type Services,
  type StoredAuditEvent,
  type UserActivity,
} from '@tokendesk/core'
import { parseLogQuery } from '../http/log-query.js'
import { type App, contextOf, iso } from '../http/types.js'
import { AdminLogResponse, ErrorBody, LogExportQuery, UserEventLogResponse } from '../schemas.js'

const ROLE_NAMES: Record<Role, string> = {
  SUPER_ADMIN: 'Super Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
}

const APPLICATION = 'tokendesk'

/** Who acted, as `adminUserName`: the key's accessID, or `CLI` / `System`. */
const adminName = (event: StoredAuditEvent): string =>
  event.actor.id ?? (event.actor.type === 'cli' ? 'CLI' : 'System')

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)

const FALLBACK_ADMIN: AdminActivity = {
  kind: 'admin',
  activityKey: 'ADMIN_ACTIVITY',
  activityCode: 89000,
  message: '{0} made a change to {1}',
}

const FALLBACK_USER: UserActivity = {
  kind: 'user',
  category: 'Authentication',
  eventCode: 90000,
  level: 'notice',
  description: 'User event.',
}

/** An admin event as the admin log export writes it (rsa-authn-and-logs.md §2.5). */
export const adminLogEntry = (event: StoredAuditEvent, customerName: string, serverURL: string) => {
  const entry = AUDIT_CATALOGUE[event.action]
  const activity = entry?.kind === 'admin' ? entry : FALLBACK_ADMIN
  const admin = adminName(event)
  const target = event.targetId ?? ''
  const userOfToken = event.targetType === 'token' ? text(event.details.userId) : null
  return {
    eventId: event.id,
    eventLogDate: iso(event.at),
    eventType: 'Administration',
    serverURL,
    serverIPAddress: null,
    application: APPLICATION,
    customerId: null,
    customerName,
    sourceIPAddress: event.sourceIp,
    adminUserName: admin,
    adminUserRole: event.actor.role === null ? null : ROLE_NAMES[event.actor.role],
    activityKey: activity.activityKey,
    activityCode: activity.activityCode,
    result: event.result === 'success' ? ('SUCCESS' as const) : ('FAIL' as const),
    reasonKey: event.reason ?? '',
    message: activity.message.replaceAll('{0}', admin).replaceAll('{1}', target).trim(),
    requiresPublish: false,
    // Ids go in the name fields: RSA's clients type `…Id` as a number, tokendesk's are text.
    targetObject1Id: null,
    targetObject1Name: event.targetId,
    targetObject1Type: event.targetType === null ? null : event.targetType.toUpperCase(),
    targetObject2Id: null,
    targetObject2Name: userOfToken,
    targetObject2Type: userOfToken === null ? null : 'USER',
  }
}

/** A user event as the user event log export writes it (rsa-authn-and-logs.md §2.6). */
export const userEventLogEntry = (event: StoredAuditEvent, customerName: string) => {
  const entry = AUDIT_CATALOGUE[event.action]
  const activity = entry?.kind === 'user' ? entry : FALLBACK_USER
  const code = (event.reason !== null && activity.byReason?.[event.reason]) || activity
  return {
    eventId: event.id,
    eventLogDate: iso(event.at),
    eventType: 'user',
    eventLevel: code.level,
    eventCategory: activity.category,
    serverIPAddress: null,
    tenantId: event.companyId,
    customerName,
    userId: event.targetId,
    sourceIPAddress: event.sourceIp,
    eventCode: String(code.eventCode),
    eventDescription: code.description,
    application: text(event.details.clientId),
    method: text(event.details.method),
    deviceName: null,
    deviceId: null,
    policyId: null,
    policyName: null,
    authenticationDetails: event.reason,
    assuranceLevel: null,
    verboseFlag: null,
    userActivityId: null,
    transactionId: text(event.details.attemptId),
  }
}

/**
 * The admin and user event log exports (rsa-authn-and-logs.md Part 2), open to both roles.
 * Paths are matched case-insensitively with repeated slashes collapsed (`canonicalLogExportUrl`,
 * installed as the server's `rewriteUrl`).
 */
export const auditLogRoutes = (app: App, services: Services, publicUrl: string): void => {
  const serverURL = `${publicUrl}/AdminInterface/`
  const response = { 400: ErrorBody, 403: ErrorBody, 429: ErrorBody }

  app.get(
    '/v1/adminlog/exportlogs',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Logs'],
        summary: 'Export the admin (audit) log',
        querystring: LogExportQuery,
        response: { 200: AdminLogResponse, ...response },
      },
    },
    async (request) => {
      const page = await services.audit.exportLog(
        contextOf(request),
        'admin',
        parseLogQuery(request.query),
      )
      const { companyName, events, ...envelope } = page
      return {
        ...envelope,
        elements: events.map((event) => adminLogEntry(event, companyName, serverURL)),
      }
    },
  )

  app.get(
    '/v1/usereventlog/exportlogs',
    {
      config: { permission: 'helpdesk' },
      schema: {
        tags: ['Logs'],
        summary: 'Export the user event log',
        querystring: LogExportQuery,
        response: { 200: UserEventLogResponse, ...response },
      },
    },
    async (request) => {
      const page = await services.audit.exportLog(
        contextOf(request),
        'user',
        parseLogQuery(request.query),
      )
      const { companyName, events, ...envelope } = page
      return {
        ...envelope,
        userEventLogExportEntries: events.map((event) => userEventLogEntry(event, companyName)),
      }
    },
  )
}

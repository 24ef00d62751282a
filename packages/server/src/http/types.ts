import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ErrorCode, OperationContext, Permission } from '@tokendesk/core'
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify'
import type { Principal } from './authenticator.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (admin-api.md §4). Admin API routes must set it. */
    permission?: Permission
    /** The error a body that fails its schema becomes (default `VALIDATION_FAILED`). */
    invalidBody?: ErrorCode
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** The operation context of an authenticated request. */
export const contextOf = (request: FastifyRequest): OperationContext => {
  const principal = request.principal
  if (!principal) throw new Error('contextOf: the request was not authenticated')
  return {
    companyId: principal.companyId,
    actor: { type: 'api_key', id: principal.accessId, role: principal.role },
    requestId: request.id,
    sourceIp: request.ip,
  }
}

/** `preValidation` of a route whose body is optional: no body (or an empty one) is `{}`. */
export const absentBodyIsEmpty = async (request: FastifyRequest): Promise<void> => {
  if (request.body === undefined) request.body = {}
}

export const iso = (ms: number): string => new Date(ms).toISOString()
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

import { randomUUID } from 'node:crypto'
import type { AgentContext } from '@tokendesk/core'
import { type AgentKey, type Clock, DomainError, type Services } from '@tokendesk/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  authnResponse,
  clientIdOf,
  invalidRequest,
  readAttemptCall,
  readInitialize,
  readVerify,
  resources,
  statusResponse,
} from '../authn/wire.js'
import type { App } from '../http/types.js'

export const AUTHN_PREFIX = '/mfa/v1_1'

/** Agent keys' token bucket (admin-api.md §5): 200 requests/s sustained, burst 400. */
export const AGENT_KEY_RATE = { rate: 200, burst: 400 } as const

interface Decision {
  allowed: boolean
  limit: number
  remaining: number
  resetSeconds: number
  retryAfterSeconds: number
}

export interface AuthnRouteOptions {
  services: Services
  clock: Clock
  rateLimiter: {
    consume(
      key: string,
      rule: { rate: number; burst: number },
      now: number,
    ): Decision | Promise<Decision>
  }
  /** The per-address failed-authentication budget shared with the administration API. */
  authFailureRule: { rate: number; burst: number }
}

/**
 * The Authentication API (authn-api.md), a plugin registered with prefix `/mfa/v1_1`.
 * Pipeline: `client-key` (401, or 429 once the address's failure budget is spent) → the agent
 * key's bucket (429; RateLimit-* headers) → the body read tolerantly → one service call →
 * `200` with the outcome in the body. Only unusable bodies (malformed JSON 400, another media
 * type 415, too large 413) are non-2xx, with the business error body.
 */
export const authnRoutes = async (app: App, options: AuthnRouteOptions): Promise<void> => {
  const { services, clock, rateLimiter, authFailureRule } = options
  const agents = new WeakMap<FastifyRequest, AgentKey>()

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers['client-key']
    const key = await services.agentKeys.authenticate(
      typeof header === 'string' ? header.trim() : undefined,
    )
    if (!key) {
      request.log.info('client-key rejected')
      const budget = await rateLimiter.consume(
        `authfail:${request.ip}`,
        authFailureRule,
        clock.now(),
      )
      if (!budget.allowed) {
        reply.header('retry-after', String(budget.retryAfterSeconds))
        throw new DomainError('RATE_LIMITED')
      }
      throw new DomainError('INVALID_CLIENT_KEY')
    }
    const decision = await rateLimiter.consume(`agent:${key.id}`, AGENT_KEY_RATE, clock.now())
    reply.header('ratelimit-limit', String(decision.limit))
    reply.header('ratelimit-remaining', String(decision.remaining))
    reply.header('ratelimit-reset', String(decision.resetSeconds))
    reply.header('cache-control', 'no-store')
    if (!decision.allowed) {
      reply.header('retry-after', String(decision.retryAfterSeconds))
      throw new DomainError('RATE_LIMITED')
    }
    agents.set(request, key)
  })

  const contextOf = (request: FastifyRequest): AgentContext => {
    const key = agents.get(request)
    if (!key) throw new Error('authn: the request was not authenticated')
    return {
      companyId: key.companyId,
      actor: { type: 'agent_key', id: key.id, role: null },
      requestId: request.id,
      sourceIp: request.ip,
      clientId: clientIdOf(request.body),
    }
  }

  const send = (reply: FastifyReply, body: unknown) =>
    reply.code(200).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body)

  const messageIdOf = (body: unknown): string => {
    const context = (body as { context?: { messageId?: unknown } } | undefined)?.context
    return typeof context?.messageId === 'string' ? context.messageId.slice(0, 256) : ''
  }

  const tags = ['Authentication API']

  app.post(
    '/authn/initialize',
    { schema: { tags, summary: 'Start an authentication attempt (authn-api.md)' } },
    async (request, reply) => {
      const input = readInitialize(request.body)
      if (!input) return send(reply, invalidRequest(randomUUID(), messageIdOf(request.body)))
      return send(reply, authnResponse(await services.authn.initialize(contextOf(request), input)))
    },
  )

  app.post(
    '/authn/verify',
    { schema: { tags, summary: 'Answer a challenge of an attempt' } },
    async (request, reply) => {
      const input = readVerify(request.body)
      if (!input) return send(reply, invalidRequest(randomUUID(), messageIdOf(request.body)))
      return send(reply, authnResponse(await services.authn.verify(contextOf(request), input)))
    },
  )

  app.post(
    '/authn/status',
    { schema: { tags, summary: 'The status of an attempt' } },
    async (request, reply) => {
      const input = readAttemptCall(request.body)
      return send(reply, statusResponse(await services.authn.status(contextOf(request), input)))
    },
  )

  app.post(
    '/authn/cancel',
    { schema: { tags, summary: 'Cancel an attempt' } },
    async (request, reply) => {
      const input = readAttemptCall(request.body)
      return send(reply, authnResponse(await services.authn.cancel(contextOf(request), input)))
    },
  )

  app.get(
    '/authn/resources',
    { schema: { tags, summary: 'Prompt texts' } },
    async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const resourceId = typeof query.resourceId === 'string' ? query.resourceId : undefined
      return send(reply, resources(resourceId))
    },
  )
}

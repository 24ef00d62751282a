import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  type CompanySettings,
  canonicalId,
  DomainError,
  type RateLimitSettings,
  roleAllows,
} from '@tokendesk/core'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import type { Logger } from 'pino'
import { publicUrlOf } from './config/load.js'
import { acceptedAudiences } from './http/audience.js'
import { createAuthenticator, tokenFromHeaders } from './http/authenticator.js'
import {
  clientErrorHandler,
  errorHandler,
  frameworkErrorHandler,
  sendAuthFailure,
} from './http/error-handler.js'
import { errorBody, SECURITY_HEADERS } from './http/error-status.js'
import { canonicalLogExportUrl } from './http/log-query.js'
import type { RateLimiter } from './http/rate-limiter.js'
import type { App } from './http/types.js'
import { agentKeyRoutes } from './routes/agent-keys.routes.js'
import { apiKeyRoutes } from './routes/api-keys.routes.js'
import { auditLogRoutes } from './routes/audit-log.routes.js'
import { AUTHN_PREFIX, authnRoutes } from './routes/authn.routes.js'
import { companyRoutes } from './routes/company.routes.js'
import { emergencyCodeRoutes } from './routes/emergency-codes.routes.js'
import { healthRoutes } from './routes/health.routes.js'
import { methodRoutes } from './routes/methods.routes.js'
import { tokenRoutes } from './routes/tokens.routes.js'
import { userRoutes } from './routes/users.routes.js'
import type { Runtime } from './runtime.js'
import { type Coordination, createLocalCoordination } from './scale-out/coordination.js'

export const ADMIN_PREFIX = '/AdminInterface/restapi'
const BODY_LIMIT = 64 * 1024
const SETTINGS_TTL_MS = 5_000
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/
// Path parameters are checked by the services (a non-UUID id names no user, admin-api.md §1), so
// the router must hand over long ones instead of answering 414 itself.
const MAX_PARAM_LENGTH = 16 * 1024
const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface AppOptions {
  logger: Logger | boolean
  https?: { cert: Buffer; key: Buffer }
  /** In-process buckets to use (tests); ignored when `coordination` is given. */
  rateLimiter?: RateLimiter
  /** Shared buckets and invalidations (Redis, see scale-out/coordination.ts); default local. */
  coordination?: Coordination
  /** True once shutdown began: `/health/ready` fails so load balancers stop sending traffic. */
  draining?: () => boolean
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * Builds the HTTP application over a runtime: no listening, no environment. Request pipeline of
 * an administration API route, in order:
 *   1. authenticate the JWT (403 Spring body, audited in the company of the key the token names;
 *      429, unaudited, once the address's failure budget is spent);
 *   2. take a token from the key's bucket (429 with Retry-After; RateLimit-* headers always);
 *   3. check the key's role against the route's permission (403);
 *   4. parse the body, make path ids canonical (lowercase), validate strictly (400/413/415);
 *   5. call one service; 6. serialise.
 */
export const buildApp = async (runtime: Runtime, options: AppOptions): Promise<FastifyInstance> => {
  const { config, services, store, clock } = runtime
  const app: App = Fastify({
    ...(typeof options.logger === 'boolean'
      ? { logger: options.logger }
      : { loggerInstance: options.logger }),
    ...(options.https && { https: options.https }),
    bodyLimit: BODY_LIMIT,
    // `ignoreDuplicateSlashes`: clients join `adminRestApiUrl` (ending in `/`) and `/v1/…`.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreDuplicateSlashes: true },
    // The log export paths also match case-insensitively (SIEM connectors spell `exportLogs`).
    rewriteUrl: (req) => canonicalLogExportUrl(req.url ?? '/'),
    // URLs the router cannot decode: the business body, not Fastify's own.
    frameworkErrors: frameworkErrorHandler,
    // Requests Node's parser refuses (bad framing, headers over 16 KiB, timeouts): same body.
    clientErrorHandler,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID()
    },
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    return503OnClosing: true,
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App

  // JSON bodies (UTF-8): an empty body counts as absent; anything unparsable, including bytes
  // that are not UTF-8, is 400, never a 500.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string
    try {
      text = utf8.decode(body as Buffer)
    } catch {
      return done(new DomainError('MALFORMED_JSON'), undefined)
    }
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new DomainError('MALFORMED_JSON'), undefined)
    }
  })

  app.decorateRequest('principal', null)
  app.setErrorHandler(errorHandler)

  // Unknown routes are 404 and wrong methods 405 (admin-api.md §4).
  const router = FindMyWay({ ignoreDuplicateSlashes: true })
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      const verb = method.toUpperCase() as HTTPMethod
      if (!router.hasRoute(verb, route.url)) router.on(verb, route.url, () => undefined)
    }
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = METHODS.filter((method) => router.find(method, path) !== null)
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody(405, `Method ${request.method} is not allowed on ${path}.`))
    }
    return reply.code(404).send(errorBody(404, `No route for ${request.method} ${path}.`))
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    reply.headers(SECURITY_HEADERS)
    if (request.url.startsWith(ADMIN_PREFIX)) reply.header('cache-control', 'no-store')
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tokendesk Cloud Administration API',
        version: '1.0.0',
        description:
          'Wire-compatible with the RSA SecurID Cloud Administration REST API. [ext] marks tokendesk extensions.',
      },
      servers: [{ url: publicUrlOf(config) }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (RS256, self-signed)' },
        },
      },
      security: [{ bearer: [] }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  const coordination =
    options.coordination ?? createLocalCoordination(options.rateLimiter ?? undefined)
  healthRoutes(app, store, {
    ...(options.coordination ? { redis: () => options.coordination?.check() ?? 'ok' } : {}),
    draining: options.draining ?? (() => false),
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const authenticator = createAuthenticator({
    store,
    clock,
    audiences: acceptedAudiences(publicUrlOf(config), config.authAudience),
  })
  const { rateLimiter } = coordination
  const authFailureRule = {
    rate: config.authFailuresPerMinute / 60,
    burst: config.authFailuresPerMinute,
  }

  // Company rate-limit settings, cached briefly. A change is published (coordination): this
  // process and, with Redis, every other node drop the entry at once; the TTL bounds staleness
  // when an invalidation is lost (Redis down at that moment).
  const settingsCache = new Map<string, { settings: CompanySettings; at: number }>()
  const unsubscribe = coordination.subscribe((event) => {
    if (event.type === 'company-settings') settingsCache.delete(event.companyId)
    else if (event.type === 'api-key-revoked') authenticator.forget(event.accessId)
    else if (event.type === 'all') settingsCache.clear()
  })
  app.addHook('onClose', async () => {
    unsubscribe()
  })
  const rateLimitOf = async (companyId: string): Promise<RateLimitSettings> => {
    const cached = settingsCache.get(companyId)
    if (cached && clock.now() - cached.at < SETTINGS_TTL_MS) return cached.settings.rateLimit
    const company = await store.read.companies.findById(companyId)
    if (!company) throw new DomainError('AUTHENTICATION_FAILED')
    settingsCache.set(companyId, { settings: company.settings, at: clock.now() })
    return company.settings.rateLimit
  }

  /**
   * Audits a failed authentication in the company of the key its token names (admin-api.md §3).
   * The answer stays the 403 whatever happens here: a write that fails is logged, not answered.
   */
  const auditFailure = async (request: FastifyRequest, accessId: string, reason: unknown) => {
    try {
      await services.apiKeys.recordAuthenticationFailure({
        accessId,
        reason: String(reason),
        requestId: request.id,
        sourceIp: request.ip,
      })
    } catch (writeError) {
      request.log.error({ err: writeError }, 'the failed authentication could not be audited')
    }
  }

  const authenticate = async (request: FastifyRequest) => {
    try {
      request.principal = await authenticator.authenticate(tokenFromHeaders(request.headers))
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'AUTHENTICATION_FAILED') throw error
      const { reason, accessId } = error.details ?? {}
      request.log.info({ reason, accessId }, 'authentication failed')
      const budget = await rateLimiter.consume(
        `authfail:${request.ip}`,
        authFailureRule,
        clock.now(),
      )
      if (!budget.allowed) {
        throw new DomainError('RATE_LIMITED', { details: { retryAfter: budget.retryAfterSeconds } })
      }
      // Audited only within the address's budget (spent: 429, nothing written) and within the
      // claimed key's own budget of the same size, so that failures from many addresses cannot
      // turn into unbounded writes to one company's trail either (past it: logged only).
      if (typeof accessId === 'string') {
        const keyBudget = await rateLimiter.consume(
          `authfail-audit:${accessId}`,
          authFailureRule,
          clock.now(),
        )
        if (keyBudget.allowed) await auditFailure(request, accessId, reason)
      }
      throw error
    }
  }

  await app.register(
    async (admin: App) => {
      admin.addHook('onRequest', async (request, reply) => {
        try {
          await authenticate(request)
        } catch (error) {
          if (error instanceof DomainError && error.code === 'AUTHENTICATION_FAILED') {
            return sendAuthFailure(reply, request, error.message)
          }
          if (error instanceof DomainError && error.code === 'RATE_LIMITED') {
            reply.header('retry-after', String(error.details?.retryAfter ?? 1))
          }
          throw error
        }
        const principal = request.principal
        if (!principal) throw new DomainError('AUTHENTICATION_FAILED')
        // The bucket before the role: a refused call is an authenticated response too (it carries
        // the RateLimit-* headers), and a key cannot spin on routes its role may not use.
        const limits = await rateLimitOf(principal.companyId)
        const decision = await rateLimiter.consume(
          `key:${principal.accessId}`,
          { rate: limits.requestsPerSecond, burst: limits.burst },
          clock.now(),
        )
        reply.header('ratelimit-limit', String(decision.limit))
        reply.header('ratelimit-remaining', String(decision.remaining))
        reply.header('ratelimit-reset', String(decision.resetSeconds))
        if (!decision.allowed) {
          reply.header('retry-after', String(decision.retryAfterSeconds))
          throw new DomainError('RATE_LIMITED')
        }
        const permission = request.routeOptions.config.permission ?? 'superadmin'
        if (!roleAllows(principal.role, permission)) throw new DomainError('ROLE_FORBIDDEN')
        return undefined
      })
      // Path parameters are ids (users, codes, keys): UUIDs, which are case-insensitive, so an
      // upper-case one names the stored, lowercase id. The one place ids are made canonical.
      admin.addHook('preValidation', (request, _reply, done) => {
        const params = request.params as Record<string, string>
        for (const name in params) params[name] = canonicalId(params[name] as string)
        done()
      })

      emergencyCodeRoutes(admin, services)
      methodRoutes(admin, services)
      tokenRoutes(admin, services)
      userRoutes(admin, services)
      companyRoutes(admin, services, (companyId) =>
        coordination.publish({ type: 'company-settings', companyId }),
      )
      auditLogRoutes(admin, services, publicUrlOf(config))
      agentKeyRoutes(admin, services)
      apiKeyRoutes(admin, services, (accessId) =>
        coordination.publish({ type: 'api-key-revoked', accessId }),
      )
    },
    { prefix: ADMIN_PREFIX },
  )

  // The Authentication API: its own credential (client-key) and error rules (authn-api.md).
  await app.register(
    (authn: App) => authnRoutes(authn, { services, clock, rateLimiter, authFailureRule }),
    { prefix: AUTHN_PREFIX },
  )

  return app
}

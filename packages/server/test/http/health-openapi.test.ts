import { readdirSync, readFileSync } from 'node:fs'
import type { Store } from '@tokendesk/core'
import { describe, expect, it } from 'vitest'
import { ADMIN, buildTestApp, useSharedTestApp } from '../helpers.js'

/** admin-api.md §10 "Unauthenticated": health checks, the OpenAPI document and the rendered docs. */

const routesDir = new URL('../../src/routes/', import.meta.url)

/** Every route the route modules declare, as OpenAPI paths: `[METHOD, path]`. */
const declaredRoutes = (): Array<[string, string]> => {
  const found: Array<[string, string]> = []
  for (const file of readdirSync(routesDir).filter((name) => name.endsWith('.routes.ts'))) {
    const source = readFileSync(new URL(file, routesDir), 'utf8')
    for (const match of source.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*'([^']+)'/g)) {
      const [, method, path] = match as unknown as [string, string, string]
      const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}')
      found.push([
        method.toUpperCase(),
        file === 'health.routes.ts'
          ? openApiPath
          : // The Authentication API is its own plugin, under /mfa/v1_1 (docs/authn.md).
            file === 'authn.routes.ts'
            ? `/mfa/v1_1${openApiPath}`
            : `${ADMIN}${openApiPath}`,
      ])
    }
  }
  return found
}

describe('health, OpenAPI and docs', () => {
  const shared = useSharedTestApp()

  it('GET /health/live → 200 {"status":"ok"}, no token needed', async () => {
    const response = await shared().app.inject({ method: 'GET', url: '/health/live' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toStrictEqual({ status: 'ok' })
    expect(response.headers['x-request-id']).toBeTruthy()
  })

  it('GET /health/ready → 200 with storage ok', async () => {
    const response = await shared().app.inject({ method: 'GET', url: '/health/ready' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toStrictEqual({ status: 'ok', checks: { storage: 'ok' } })
  })

  it('HEAD works on both', async () => {
    for (const url of ['/health/live', '/health/ready']) {
      const response = await shared().app.inject({ method: 'HEAD', url })
      expect(response.statusCode).toBe(200)
    }
  })

  const openapi = async () => {
    const response = await shared().app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    return response.json() as {
      openapi: string
      info: { title: string; version: string }
      paths: Record<string, Record<string, unknown>>
      components: { securitySchemes: Record<string, unknown> }
    }
  }

  it('/openapi.json is OpenAPI 3.1 and needs no token', async () => {
    const document = await openapi()
    expect(document.openapi).toMatch(/^3\.1\./)
    expect(document.info.title).toBeTruthy()
    expect(document.components.securitySchemes).toHaveProperty('bearer')
  })

  it('lists every route the route modules declare, with its method', async () => {
    const { paths } = await openapi()
    const declared = declaredRoutes()
    expect(declared.length).toBeGreaterThanOrEqual(15)
    for (const [method, path] of declared) {
      expect(paths, `${method} ${path}`).toHaveProperty([path])
      expect(Object.keys(paths[path] ?? {}), `${method} ${path}`).toContain(method.toLowerCase())
    }
  })

  it.each([
    ['put', `${ADMIN}/v1/users/{userId}/emergencyTokencode`],
    ['put', `${ADMIN}/v2/users/{userId}/emergencyTokencode`],
    ['delete', `${ADMIN}/v1/users/{userId}/emergencyTokencode/{eacId}`],
    ['patch', `${ADMIN}/v1/users/{userId}/methods`],
    ['patch', `${ADMIN}/v1/users/{userId}/sidTokens/enable`],
    ['patch', `${ADMIN}/v1/users/{userId}/sidTokens/assign`],
    ['post', `${ADMIN}/v1/users/lookup`],
    ['put', `${ADMIN}/v1/users/{userId}/userStatus`],
    ['post', `${ADMIN}/v1/users`],
    ['post', `${ADMIN}/v1/sidTokens/import`],
    ['get', `${ADMIN}/v1/company/settings`],
    ['put', `${ADMIN}/v1/company/settings`],
    ['post', `${ADMIN}/v1/apikeys`],
    ['get', `${ADMIN}/v1/apikeys`],
    ['delete', `${ADMIN}/v1/apikeys/{accessID}`],
    ['get', '/health/live'],
    ['get', '/health/ready'],
  ])('documents %s %s', async (method, path) => {
    const { paths } = await openapi()
    expect(paths[path], path).toBeDefined()
    expect(paths[path]).toHaveProperty(method)
  })

  it('documents path parameters of the admin routes', async () => {
    const { paths } = await openapi()
    const operation = paths[`${ADMIN}/v1/users/{userId}/emergencyTokencode/{eacId}`]?.delete as {
      parameters?: Array<{ name: string; in: string }>
    }
    const names = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name)
    expect(names.sort()).toEqual(['eacId', 'userId'])
  })

  it('/docs serves the rendered reference (HTML)', async () => {
    let response = await shared().app.inject({ method: 'GET', url: '/docs' })
    for (
      let hops = 0;
      hops < 3 && response.statusCode >= 300 && response.statusCode < 400;
      hops++
    ) {
      const location = String(response.headers.location)
      const next = new URL(location, 'http://tokendesk.test:8080/docs')
      response = await shared().app.inject({ method: 'GET', url: `${next.pathname}${next.search}` })
    }
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/html/)
    expect(response.body).toMatch(/<html/i)
  })
})

describe('health when storage is down', () => {
  it('/health/ready → 503 {"status":"unavailable",…}, a write → 500; never the cause', async () => {
    let down = false
    const wrapStore = (store: Store): Store =>
      new Proxy(store, {
        get(target, property) {
          if ((property === 'ping' || property === 'transaction') && down) {
            return async () => {
              throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2')
            }
          }
          const value = Reflect.get(target, property, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    const t = await buildTestApp({ wrapStore })
    const userId = await t.createUser('storage@example.com')
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200)

    down = true
    const response = await t.app.inject({ method: 'GET', url: '/health/ready' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.json()).toStrictEqual({
      status: 'unavailable',
      checks: { storage: 'unavailable' },
    })
    expect(response.body).not.toMatch(/ECONNREFUSED|hunter2|10\.1\.2\.3/)
    expect(response.headers['x-request-id']).toBeTruthy()

    const live = await t.app.inject({ method: 'GET', url: '/health/live' })
    expect(live.statusCode).toBe(200)

    // A write that fails inside: 500, the business body, nothing of the cause (admin-api.md §4).
    const write = await t.call('PUT', `/v1/users/${userId}/emergencyTokencode`, {})
    expect(write.statusCode).toBe(500)
    expect(write.headers['content-type']).toMatch(/^application\/json/)
    expect(write.json()).toStrictEqual({
      code: '500 INTERNAL_SERVER_ERROR',
      description: 'An internal error occurred.',
    })
    expect(write.headers['x-request-id']).toBeTruthy()

    down = false
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200)
  })
})

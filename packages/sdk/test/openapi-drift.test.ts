import { afterAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../server/test/helpers.js'
import { ROUTES } from '../src/routes.js'
import { fromSchema, keysOf, type OperationTypes, type Shape, sdkOperations } from './shapes.js'

/**
 * The sdk's hand-written types cannot drift from the server: every operation of `Operations`
 * (src/types.ts, read with the TypeScript compiler) is compared with the schemas the real
 * server publishes at `/openapi.json` (built from its TypeBox schemas):
 * - responses in full: property names, required-ness, nullability, primitive types and enums,
 *   recursively;
 * - request bodies by property names and required-ness (the sdk may be stricter about values:
 *   `expiryUnit` is a union of literals where the server takes any string and answers 400).
 * And every route of the admin API the server serves has an sdk method.
 */

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>> } & Record<
  string,
  unknown
>

const ADMIN = '/AdminInterface/restapi'

// Built at collection time: the cases below are one per operation the server serves.
const t: TestApp = await createTestApp()
afterAll(() => t.close())
const doc: Doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json()
const sdk: Record<string, OperationTypes> = sdkOperations()

const operationOf = (method: string, path: string) =>
  doc.paths[`${ADMIN}${path}`]?.[method.toLowerCase()] as
    | {
        requestBody?: { content?: Record<string, { schema: Record<string, unknown> }> }
        responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>
      }
    | undefined

const served = Object.entries(ROUTES).filter(([, route]) => operationOf(route.method, route.path))

describe('sdk types against the server OpenAPI document', () => {
  it('every documented operation of the sdk has its types in Operations', () => {
    expect(Object.keys(sdk).sort()).toEqual(Object.keys(ROUTES).sort())
  })

  it('every route of the admin API the server serves has an sdk method', () => {
    const routes = new Set(Object.values(ROUTES).map((r) => `${r.method} ${ADMIN}${r.path}`))
    const missing: string[] = []
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith(`${ADMIN}/`)) continue
      for (const method of Object.keys(methods)) {
        const name = `${method.toUpperCase()} ${path}`
        if (!routes.has(name)) missing.push(name)
      }
    }
    expect(missing).toEqual([])
  })

  it.each(served.map(([name]) => name))('%s: the response type matches the schema', (name) => {
    const route = ROUTES[name as keyof typeof ROUTES]
    const operation = operationOf(route.method, route.path)
    const response = operation?.responses[String(route.status)]
    expect(response, `${route.method} ${route.path} answers ${route.status}`).toBeDefined()
    const schema = response?.content?.['application/json']?.schema
    expect(schema, 'a response schema').toBeDefined()
    const server: Shape[] = fromSchema(schema ?? {}, doc)
    expect(sdk[name]?.response).toEqual(server)
  })

  it.each(served.map(([name]) => name))('%s: the request body has the schema keys', (name) => {
    const route = ROUTES[name as keyof typeof ROUTES]
    const operation = operationOf(route.method, route.path)
    const request = sdk[name]?.request
    const content = operation?.requestBody?.content ?? {}
    const json = content['application/json']?.schema
    // A CSV/NDJSON file: the document has no JSON schema for it (client.test.ts sends one).
    if (request === 'text') return
    if (request === 'none' || (request?.length === 1 && isEmptyObject(request[0]))) {
      // No body, or `{}` where the server takes no body or an empty object.
      if (json) expect(keysOf(fromSchema(json, doc))).toEqual([{}])
      return
    }
    expect(json, 'a request body schema').toBeDefined()
    expect(keysOf(request ?? [])).toEqual(keysOf(fromSchema(json ?? {}, doc)))
  })
})

const isEmptyObject = (shape: Shape | undefined): boolean =>
  shape?.type === 'object' && !shape.open && Object.keys(shape.properties).length === 0

import { createPrivateKey, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import {
  type ApiKeyFile,
  type Clock,
  createServices,
  encodeBase32,
  type OperationContext,
  type RateLimitSettings,
  type Repositories,
  type Role,
  type Store,
} from '@tokendesk/core'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { importPKCS8, SignJWT } from 'jose'
import pino, { type Logger } from 'pino'
import { afterAll, beforeAll, onTestFinished } from 'vitest'
import { buildApp } from '../src/app.js'
import { adminRestApiUrlOf, loadConfig } from '../src/config/load.js'
import type { Config } from '../src/config/schema.js'
import { cryptoRandom, rsaKeyPairs } from '../src/platform.js'
import { createRuntime, type Runtime } from '../src/runtime.js'

export const PUBLIC_URL = 'http://tokendesk.test:8080'
export const ADMIN = '/AdminInterface/restapi'
export const ADMIN_URL = `${PUBLIC_URL}${ADMIN}/`

export interface TestCompany {
  id: string
  name: string
  superAdmin: ApiKeyFile
  helpDesk: ApiKeyFile
}

export interface TestApp {
  app: FastifyInstance
  runtime: Runtime
  config: Config
  /** The folder of the SQLite database file (removed after the test). */
  dir: string
  databaseFile: string
  company: TestCompany
  /** Creates another company with a SUPER_ADMIN and a HELP_DESK_ADMIN key. */
  addCompany(name: string): Promise<TestCompany>
  /** An operation context of the CLI, for arranging state through the services. */
  cliContext(companyId?: string): OperationContext
  /** Calls the admin API with a fresh JWT of `key` (default: the SUPER_ADMIN of `company`). */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    key?: ApiKeyFile,
  ): Promise<LightMyRequestResponse>
  /** Creates a user through the API and returns its id. */
  createUser(email?: string, extra?: Record<string, unknown>): Promise<string>
  /** Closes the app and the store and removes the folder (done for you by the builders). */
  close(): Promise<void>
}

/**
 * `store` with its reads or its transactions changed (fault injection for `wrapStore`): `read`
 * gives the repositories a read uses, at each use; `inTransaction` the repositories a
 * transaction's work gets, from the real ones; `transaction` replaces transactions whole. What
 * is not changed goes to `store`.
 */
export const storeWith = (
  store: Store,
  changed: {
    read?: () => Repositories
    inTransaction?: (tx: Repositories) => Repositories
    transaction?: Store['transaction']
  },
): Store => ({
  engine: store.engine,
  get read() {
    return changed.read ? changed.read() : store.read
  },
  transaction:
    changed.transaction ??
    ((work) => store.transaction((tx) => work(changed.inTransaction?.(tx) ?? tx))),
  refreshReads: () => store.refreshReads(),
  ping: () => store.ping(),
  close: () => store.close(),
})

export interface TestAppOptions {
  env?: Record<string, string>
  clock?: Clock
  /** Wraps the store before the app is built (fault injection). */
  wrapStore?: (store: Store) => Store
  logger?: Parameters<typeof buildApp>[1]['logger']
  /**
   * The company's rate limit, set through the services before the first request
   * (`null` or absent: the defaults, 50/s with a burst of 100).
   */
  rateLimit?: RateLimitSettings | null
}

let userCounter = 0

/** A signed RS256 JWT from a key file, made with `jose` as any outside client would. */
export const signJwt = async (
  key: ApiKeyFile,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  nowMs: number = Date.now(),
): Promise<string> => {
  const pkcs8 = createPrivateKey(key.accessKey).export({ type: 'pkcs8', format: 'pem' }).toString()
  const now = Math.floor(nowMs / 1000)
  return new SignJWT({
    sub: key.accessID,
    iat: now,
    exp: now + 300,
    aud: key.adminRestApiUrl,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...header })
    .sign(await importPKCS8(pkcs8, 'RS256'))
}

/**
 * The real app over a real SQLite file in a temporary folder, with one company holding a
 * SUPER_ADMIN and a HELP_DESK_ADMIN key. Closed and removed when the test finishes.
 */
export const buildTestApp = async (options: TestAppOptions = {}): Promise<TestApp> => {
  const t = await createTestApp(options)
  onTestFinished(() => t.close())
  return t
}

/**
 * The rate limit of shared apps unless told otherwise: under a manual clock buckets never
 * refill, and the tests of a `describe` together make more requests than the default burst.
 */
export const GENEROUS_RATE_LIMIT: RateLimitSettings = { requestsPerSecond: 100_000, burst: 200_000 }

/**
 * One app shared by the tests of the enclosing `describe` (built in `beforeAll`, closed in
 * `afterAll`): call at collection time, read the app with the returned getter inside tests.
 * Use it only where tests do not interfere (different users, nothing company-wide). Its company
 * has {@link GENEROUS_RATE_LIMIT} unless `rateLimit` says otherwise (`null`: the defaults).
 */
export const useSharedTestApp = (options: TestAppOptions = {}): (() => TestApp) => {
  let shared: TestApp | undefined
  beforeAll(async () => {
    shared = await createTestApp({ rateLimit: GENEROUS_RATE_LIMIT, ...options })
  })
  afterAll(async () => {
    await shared?.close()
  })
  return () => {
    if (!shared) throw new Error('useSharedTestApp: the app is built in beforeAll')
    return shared
  }
}

/** Builds a test app whose cleanup is the caller's (`close()`). */
export const createTestApp = async (options: TestAppOptions = {}): Promise<TestApp> => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-test-'))
  const databaseFile = join(dir, 'tokendesk.db')
  const config = loadConfig({
    env: {
      TOKENDESK_DATABASE_URL: `sqlite:${databaseFile}`,
      TOKENDESK_PUBLIC_URL: PUBLIC_URL,
      TOKENDESK_LOG_LEVEL: 'silent',
      ...options.env,
    },
  })
  const base = await createRuntime(config, options.clock ? { clock: options.clock } : {})
  const runtime: Runtime = options.wrapStore ? await rewire(base, options.wrapStore) : base
  const app = await buildApp(runtime, { logger: options.logger ?? false })
  await app.ready()
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await app.close()
      await runtime.close()
      rmSync(dir, { recursive: true, force: true })
    })()
    return closed
  }

  const cliContext = (companyId: string = company.id): OperationContext => ({
    companyId,
    actor: { type: 'cli', id: null, role: null },
    requestId: null,
    sourceIp: null,
  })

  const keyFor = async (companyId: string, role: Role) =>
    (await runtime.services.apiKeys.create(cliContext(companyId), { role, description: role })).file

  const addCompany = async (name: string): Promise<TestCompany> => {
    const created = await runtime.services.companies.create(name)
    return {
      id: created.id,
      name,
      superAdmin: await keyFor(created.id, 'SUPER_ADMIN'),
      helpDesk: await keyFor(created.id, 'HELP_DESK_ADMIN'),
    }
  }
  const company: TestCompany = await addCompany('Acme')
  if (options.rateLimit) {
    await runtime.services.companies.updateSettings(cliContext(), { rateLimit: options.rateLimit })
  }

  const call: TestApp['call'] = async (method, path, body, key = company.superAdmin) =>
    app.inject({
      method,
      url: `${ADMIN}${path}`,
      headers: {
        authorization: `Bearer ${await signJwt(key, {}, {}, runtime.clock.now())}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { payload: JSON.stringify(body) }),
    })

  const createUser: TestApp['createUser'] = async (email, extra = {}) => {
    userCounter += 1
    const response = await call('POST', '/v1/users', {
      emailAddress: email ?? `user${userCounter}@example.com`,
      ...extra,
    })
    if (response.statusCode !== 201) throw new Error(`createUser: ${response.body}`)
    return response.json().id as string
  }

  return {
    app,
    runtime,
    config,
    dir,
    databaseFile,
    company,
    addCompany,
    cliContext,
    call,
    createUser,
    close,
  }
}

/** Rebuilds a runtime's services over a wrapped store (same clock, secrets and config). */
const rewire = async (runtime: Runtime, wrap: (store: Store) => Store): Promise<Runtime> => {
  const store = wrap(runtime.store)
  return {
    ...runtime,
    store,
    services: createServices({
      store,
      clock: runtime.clock,
      random: cryptoRandom,
      secrets: runtime.secrets,
      keyPairs: rsaKeyPairs,
      adminRestApiUrl: adminRestApiUrlOf(runtime.config),
      maxActiveApiKeys: runtime.config.maxActiveApiKeys,
    }),
  }
}

/** One JSON line of a {@link capturingLogger}. */
export type LogLine = { level: number; msg: string } & Record<string, unknown>

/** A pino logger whose JSON lines land in `lines` (to check what the server logs). */
export const capturingLogger = (): { logger: Logger; lines: LogLine[] } => {
  const lines: LogLine[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line))
      }
      done()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

/** A settable clock for expiry tests. */
export const manualClock = (
  start = Date.now(),
): Clock & { advance(ms: number): void; set(ms: number): void } => {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
    set: (ms) => {
      now = ms
    },
  }
}

/** A base32 (RFC 4648) seed of 20 random bytes, as token import takes it. */
export const base32Secret = (): string => encodeBase32(new Uint8Array(randomBytes(20)))

/** Imports hardware tokens (JSON form) through the API with the SUPER_ADMIN key of `key`. */
export const importTokens = async (
  t: TestApp,
  serials: readonly string[],
  key: ApiKeyFile = t.company.superAdmin,
): Promise<void> => {
  const response = await t.call(
    'POST',
    '/v1/sidTokens/import',
    { tokens: serials.map((tokenSerialNumber) => ({ tokenSerialNumber, secret: base32Secret() })) },
    key,
  )
  if (response.statusCode !== 200) throw new Error(`importTokens: ${response.body}`)
}

/** Sets the company's rate limit through the API (applies at once). */
export const setRateLimit = async (
  t: TestApp,
  requestsPerSecond: number,
  burst: number,
): Promise<void> => {
  const response = await t.call('PUT', '/v1/company/settings', {
    rateLimit: { requestsPerSecond, burst },
  })
  if (response.statusCode !== 200) throw new Error(`setRateLimit: ${response.body}`)
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

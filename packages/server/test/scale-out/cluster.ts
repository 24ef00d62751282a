import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ApiKeyFile } from '@tokendesk/core'
import pg from 'pg'
import { signJwt } from '../helpers.js'

/**
 * The scale-out topology on one machine (operations.md, Scale-out): `tokendesk serve` processes
 * on loopback ports over one PostgreSQL schema and one Redis, plus the fault tools of the tests
 * (a private redis-server, a TCP proxy in front of PostgreSQL that can refuse or black-hole).
 */
export const TEST_DATABASE_URL = process.env.TOKENDESK_TEST_DATABASE_URL
export const TEST_REDIS_URL = process.env.TOKENDESK_TEST_REDIS_URL
export const CLI = fileURLToPath(new URL('../../../cli/dist/main.js', import.meta.url))
export const REDIS_SERVER = '/usr/bin/redis-server'
/** Nodes behind one load balancer share the public URL, hence the JWT audience. */
export const PUBLIC_URL = 'http://tokendesk.scale-out.test'
export const ADMIN = '/AdminInterface/restapi'

export const hex = (bytes = 6): string => randomBytes(bytes).toString('hex')

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** `postgres://…?schema=NAME` (the storage package takes the schema out of the URL). */
export const withSchema = (url: string, schema: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`

export interface TestSchema {
  name: string
  /** The database URL naming the schema. */
  url: string
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>
  drop(): Promise<void>
}

/** A fresh schema in the test database (created by the first node's migrations). */
export const freshSchema = (baseUrl: string): TestSchema => {
  const name = `scale_out_${hex()}`
  const pool = new pg.Pool({ connectionString: baseUrl, max: 2, options: `-c search_path=${name}` })
  return {
    name,
    url: withSchema(baseUrl, name),
    query: async (text, values) => (await pool.query(text, values)).rows,
    drop: async () => {
      await pool.query(`drop schema if exists ${name} cascade`).catch(() => {})
      await pool.end()
    },
  }
}

/** The environment of every process of one cluster: no inherited TOKENDESK_* variable. */
export const clusterEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TOKENDESK_')) env[name] = value
  }
  return { ...env, TOKENDESK_PUBLIC_URL: PUBLIC_URL, TOKENDESK_LOG_LEVEL: 'info', ...vars }
}

export const assertCliBuilt = (): void => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test runs tsc -b)`)
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `tokendesk …` (the built CLI) to completion, bounded. */
export const cli = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env, timeout: 45_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })

/** `tokendesk company create` then `tokendesk apikey create --out`: the key file's content. */
export const companyWithKey = async (env: NodeJS.ProcessEnv, name: string): Promise<ApiKeyFile> => {
  const company = await cli(['company', 'create', '--name', name], env)
  if (company.code !== 0) throw new Error(`company create: ${company.stderr}`)
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-scale-out-'))
  try {
    const out = join(dir, 'super.key')
    const key = await cli(
      ['apikey', 'create', '--company', name, '--role', 'SUPER_ADMIN', '--out', out],
      env,
    )
    if (key.code !== 0) throw new Error(`apikey create: ${key.stderr}`)
    return JSON.parse(readFileSync(out, 'utf8')) as ApiKeyFile
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface Node {
  name: string
  url: string
  port: number
  process: ChildProcess
  /** Everything the process logged so far (JSON lines). */
  logs: string[]
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every `everyMs` until it returns true or `withinMs` passed (bounded). */
export const eventually = async (
  check: () => Promise<boolean>,
  withinMs: number,
  everyMs = 100,
): Promise<boolean> => {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true
    await sleep(everyMs)
  }
  return false
}

const spawned = new Set<ChildProcess>()

/** Stops (SIGTERM, then SIGKILL) every node this file started, even one that failed to start. */
export const stopAllNodes = async (graceMs = 10_000): Promise<void> => {
  await Promise.all(
    [...spawned].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
      spawned.delete(child)
    }),
  )
}

/** Starts `tokendesk serve --port <free port>` and waits (bounded) until it answers. */
export const startNode = async (name: string, env: NodeJS.ProcessEnv): Promise<Node> => {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--host', '127.0.0.1', '--port', `${port}`],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  spawned.add(child)
  const logs: string[] = []
  const collect = (chunk: Buffer) =>
    logs.push(...chunk.toString('utf8').split('\n').filter(Boolean))
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const url = `http://127.0.0.1:${port}`
  // Generous: on a loaded machine (the whole suite in parallel) loading the CLI takes seconds.
  const up = await eventually(async () => (await fetch(`${url}/health/live`)).ok, 45_000)
  if (!up) {
    child.kill('SIGKILL')
    throw new Error(`node ${name} did not start:\n${logs.join('\n')}`)
  }
  return {
    name,
    url,
    port,
    process: child,
    logs,
    exited,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

export interface Reply {
  status: number
  headers: Headers
  body: unknown
  ms: number
}

/** One admin API call with a fresh JWT of `key`, bounded (10 s). */
export const adminCall = async (
  baseUrl: string,
  key: ApiKeyFile,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Reply> => {
  const started = Date.now()
  const response = await fetch(`${baseUrl}${ADMIN}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await signJwt(key)}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.status,
    headers: response.headers,
    body: parsed,
    ms: Date.now() - started,
  }
}

export const readiness = async (baseUrl: string): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(10_000) })
  return { status: response.status, body: await response.json() }
}

export interface RedisServer {
  port: number
  url: string
  stop(): Promise<void>
  start(): Promise<void>
}

/** A private `redis-server` (no persistence) on a spare loopback port; stop/start at will. */
export const privateRedis = async (): Promise<RedisServer> => {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    const proc = spawn(
      REDIS_SERVER,
      ['--port', `${port}`, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    child = proc
    const up = await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = tcpConnect(port, '127.0.0.1')
          socket.once('connect', () => {
            socket.destroy()
            resolve(true)
          })
          socket.once('error', () => resolve(false))
        }),
      10_000,
      50,
    )
    if (!up) {
      proc.kill('SIGKILL')
      throw new Error('redis-server did not start')
    }
  }
  const stop = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGKILL')
    await exited
  }
  await start()
  return { port, url: `redis://127.0.0.1:${port}`, stop, start }
}

export type ProxyMode = 'forward' | 'refuse' | 'blackhole' | 'freeze'

export interface TcpProxy {
  port: number
  /** `refuse`: every connection is cut at once (PostgreSQL down); `blackhole`: connections
   * are cut, new ones accepted and never answered (a hung server); `freeze`: open
   * connections stay open but nothing passes (a network partition), until `forward` again. */
  setMode(mode: ProxyMode): void
  close(): Promise<void>
}

/** A TCP proxy on a loopback port in front of `target`, in the test process. */
export const tcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let mode: ProxyMode = 'forward'
  const sockets = new Set<Socket>()
  const held: (() => void)[] = []
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server: Server = createServer((client) => {
    track(client)
    if (mode === 'refuse') {
      client.destroy()
      return
    }
    if (mode === 'blackhole') return // accepted, never answered
    const upstream = tcpConnect(target.port, target.host)
    track(upstream)
    // Not `pipe`: while frozen, bytes wait here and pass once the mode is `forward` again.
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (mode === 'freeze') held.push(() => to.write(chunk))
        else to.write(chunk)
      })
    }
    relay(client, upstream)
    relay(upstream, client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    setMode(next) {
      mode = next
      if (next === 'refuse' || next === 'blackhole') {
        held.length = 0
        for (const socket of sockets) socket.destroy()
      }
      if (next === 'forward') for (const send of held.splice(0)) send()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

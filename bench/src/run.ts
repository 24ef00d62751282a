/**
 * `npm run bench`: the real server (`tokendesk serve`) on a seeded database, driven by
 * autocannon from this process, next to a bare Fastify route measured in the same run.
 * See docs/performance.md for what is measured and how to read it.
 *
 * Environment:
 * - BENCH_DURATION_S (default 10), BENCH_WARMUP_S (default 2), BENCH_CONNECTIONS (default 50)
 * - BENCH_USERS (default 100000), BENCH_GROWTH_USERS (default "1000,1000000"; "" skips growth)
 * - TOKENDESK_BENCH_DATABASE_URL: also run on this PostgreSQL database (in a fresh schema,
 *   dropped afterwards)
 * - BENCH_ENGINES: "sqlite", "postgres" or "sqlite,postgres" (default: sqlite, plus postgres
 *   when the URL is set)
 * - BENCH_ONLY: a regular expression: only the scenarios whose names match
 * - BENCH_PROFILE=1: write a V8 CPU profile of the server to bench/results/profiles/
 * - BENCH_CLI: the `tokendesk` entry point to serve with (default: this checkout's), to
 *   measure another checkout (a commit before a fix) with the same seed and load
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type LoadOptions, runScenario, type Scenario, type ScenarioResult } from './load.js'
import { type RunGroup, renderChart } from './report.js'
import { adminScenarios, bareScenario, verifyScenarios, writeScenarios } from './scenarios.js'
import { type SeedPlan, seed } from './seed.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = process.env.BENCH_CLI ?? join(ROOT, 'packages/cli/dist/main.js')
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url))
const RESULTS = join(ROOT, 'bench/results')

const int = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`)
  return value
}

const settings = {
  durationS: int('BENCH_DURATION_S', 10),
  warmupS: int('BENCH_WARMUP_S', 2),
  connections: int('BENCH_CONNECTIONS', 50),
  users: int('BENCH_USERS', 100_000),
  growthUsers: (process.env.BENCH_GROWTH_USERS ?? '1000,1000000')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number),
}
const pgUrl = process.env.TOKENDESK_BENCH_DATABASE_URL
const engines = (process.env.BENCH_ENGINES ?? (pgUrl ? 'sqlite,postgres' : 'sqlite'))
  .split(',')
  .map((e) => e.trim())
if (engines.includes('postgres') && !pgUrl) {
  throw new Error('BENCH_ENGINES names postgres: set TOKENDESK_BENCH_DATABASE_URL')
}

/** Every child process, stopped whatever way this process ends (a crash included). */
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130))
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** Waits for `url` to answer 2xx; `logPath`: the child's log, quoted if it exits instead. */
const waitReady = async (url: string, child: ChildProcess, logPath?: string): Promise<void> => {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const log = logPath === undefined ? '' : `: ${readFileSync(logPath, 'utf8')}`
      throw new Error(`${url}: the process exited (${child.exitCode})${log}`)
    }
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} not ready within 60 s`)
}

const stop = async (child: ChildProcess): Promise<void> => {
  children.delete(child)
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

interface Target {
  engine: 'sqlite' | 'postgres'
  env: NodeJS.ProcessEnv
  cleanup(): void
}

/** A fresh database for one run: a temp SQLite file, or a new PostgreSQL schema. */
const freshTarget = (engine: Target['engine'], port: number, dir: string): Target => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOKENDESK_PORT: String(port),
    TOKENDESK_HOST: '127.0.0.1',
    TOKENDESK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    TOKENDESK_LOG_LEVEL: 'warn',
    TOKENDESK_SECRET_KEY: randomBytes(32).toString('base64'),
    TOKENDESK_SHUTDOWN_DELAY_MS: '0',
  }
  if (engine === 'sqlite') {
    env.TOKENDESK_DATABASE_URL = `sqlite:${join(dir, 'tokendesk.db')}`
    return { engine, env, cleanup: () => {} }
  }
  const schema = `bench_${Date.now()}_${randomBytes(3).toString('hex')}`
  const url = pgUrl as string
  env.TOKENDESK_DATABASE_URL = `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`
  return {
    engine,
    env,
    cleanup: () => {
      execFileSync('psql', [url, '-qc', `drop schema if exists ${schema} cascade`])
    },
  }
}

const runGroup = async (
  engine: Target['engine'],
  plan: SeedPlan,
  withAllScenarios: boolean,
): Promise<RunGroup> => {
  const dir = mkdtempSync(join(tmpdir(), 'tokendesk-bench-'))
  const port = await freePort()
  const target = freshTarget(engine, port, dir)
  const title = `${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${plan.users.toLocaleString('en-US')} users`
  say(`\n== ${title}`)
  let server: ChildProcess | undefined
  let bare: ChildProcess | undefined
  try {
    const started = Date.now()
    const seeded = await seed(target.env, plan)
    say(`  seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    // The seed's pages go to disk now, not during the first scenarios: left to the kernel's
    // writeback, they would be flushed by the server's own checkpoints and fsyncs, measured as
    // the server's CPU and latency (worst after the 1,000,000-user seed).
    execFileSync('sync')

    const logPath = join(dir, 'server.log')
    const log = openSync(logPath, 'a')
    // BENCH_PROFILE=1: a V8 CPU profile of the server per run group, for finding hot spots.
    const profile = process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(RESULTS, 'profiles')}`]
      : []
    server = spawn(process.execPath, [...profile, CLI, 'serve'], {
      env: target.env,
      stdio: ['ignore', log, log],
    })
    children.add(server)
    const baseUrl = `http://127.0.0.1:${port}`
    await waitReady(`${baseUrl}/health/ready`, server, logPath)

    // The bare route answers exactly the JSON the lookup answers.
    const sample = (adminScenarios(seeded, 0)[0] as Scenario).next()
    const answer = await fetch(`${baseUrl}${sample.path}`, {
      method: sample.method,
      headers: sample.headers,
      body: sample.body ?? null,
    })
    if (!answer.ok) throw new Error(`lookup failed: ${answer.status} ${await answer.text()}`)
    const payload = await answer.text()
    const barePort = await freePort()
    bare = spawn(process.execPath, [BARE], {
      env: { ...process.env, BENCH_PORT: String(barePort), BENCH_BARE_PAYLOAD: payload },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    children.add(bare)
    await waitReady(`http://127.0.0.1:${barePort}/ready`, bare)
    const load = (url: string, pid: number): LoadOptions => ({
      baseUrl: url,
      serverPid: pid,
      connections: settings.connections,
      durationS: settings.durationS,
      warmupS: settings.warmupS,
    })

    const results: ScenarioResult[] = []
    const measure = async (scenario: Scenario, options: LoadOptions) => {
      const result = await runScenario(scenario, options)
      results.push(result)
      say(
        `  ${scenario.name.padEnd(22)} ${String(result.requestsPerSecond).padStart(7)} req/s` +
          `  p50 ${result.latencyMs.p50} ms  p99 ${result.latencyMs.p99} ms` +
          `  p99.9 ${result.latencyMs.p99_9} ms  cpu ${result.cpuPercent}% (${result.cpuUsPerRequest} µs/req)` +
          `  rss ${result.peakRssMb} MB` +
          `  errors ${result.errors}${result.errors ? ` ${JSON.stringify(result.unexpected)}` : ''}`,
      )
    }
    await measure(
      bareScenario(JSON.parse(sample.body ?? '{}')),
      load(`http://127.0.0.1:${barePort}`, bare.pid as number),
    )
    const serverLoad = load(baseUrl, server.pid as number)
    const writeFrom = seeded.tokenFrom + seeded.tokenSerials.length
    const all = withAllScenarios
      ? [
          ...adminScenarios(seeded, writeFrom),
          ...writeScenarios(seeded, writeFrom),
          ...verifyScenarios(seeded),
        ]
      : adminScenarios(seeded, 0)
    // BENCH_ONLY=<regexp>: only the scenarios whose names match (with a profile: one hot path).
    const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined
    for (const scenario of all) {
      if (!only || only.test(scenario.name)) await measure(scenario, serverLoad)
    }
    const bareRps = (results[0] as ScenarioResult).requestsPerSecond
    for (const r of results)
      r.ratioToBare = Math.round((r.requestsPerSecond / bareRps) * 1000) / 1000
    return { title, results }
  } finally {
    if (bare) await stop(bare)
    if (server) await stop(server)
    target.cleanup()
    rmSync(dir, { recursive: true, force: true })
  }
}

const version = (command: string, args: string[]): string => {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? ''
  } catch {
    return 'not available'
  }
}

const pkg = (name: string): string =>
  JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version

const at = new Date().toISOString()
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  fastify: pkg('fastify'),
  autocannon: pkg('autocannon'),
  betterSqlite3: pkg('better-sqlite3'),
  postgres: engines.includes('postgres')
    ? version('psql', [pgUrl as string, '-tAc', 'show server_version'])
    : undefined,
  commit: version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
}
const stamp = at.replace(/[:.]/g, '-')

/** Written after every run group, so that a later failure loses nothing measured. */
const save = (groups: readonly RunGroup[]): void => {
  const report = `${JSON.stringify({ at, machine, settings, groups }, null, 2)}\n`
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(join(RESULTS, `${stamp}.json`), report)
  writeFileSync(join(RESULTS, 'latest.json'), report)
  const caption = `tokendesk ${machine.commit} · ${machine.cores} cores (${machine.cpu}) · Node ${machine.node} · ${settings.connections} connections, ${settings.durationS} s per scenario · ${at.slice(0, 10)}`
  writeFileSync(join(RESULTS, 'latest.svg'), renderChart(groups, caption))
}

const main = async (): Promise<void> => {
  const groups: RunGroup[] = []
  const fullPlan: SeedPlan = {
    users: settings.users,
    tokens: 10_000,
    totpUsers: 40_000,
    eacUsers: 10_000,
    agentKeys: settings.connections,
  }
  if (fullPlan.totpUsers + fullPlan.eacUsers + fullPlan.tokens > fullPlan.users) {
    const scale = fullPlan.users / 100_000
    fullPlan.tokens = Math.floor(10_000 * scale)
    fullPlan.totpUsers = Math.floor(40_000 * scale)
    fullPlan.eacUsers = Math.floor(10_000 * scale)
  }
  for (const engine of engines as Target['engine'][]) {
    groups.push(await runGroup(engine, fullPlan, true))
    save(groups)
    for (const users of settings.growthUsers) {
      const plan = { users, tokens: 0, totpUsers: 0, eacUsers: 0, agentKeys: 0 }
      groups.push(await runGroup(engine, plan, false))
      save(groups)
    }
  }
  say(`\nresults: bench/results/${stamp}.json, bench/results/latest.json, bench/results/latest.svg`)
}

await main()

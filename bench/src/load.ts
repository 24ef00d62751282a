import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

/** One request the load generator sends; built per request so that targets rotate. */
export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  headers: Record<string, string>
  body?: string
}

export interface Scenario {
  name: string
  /** What the scenario exercises, for the report. */
  kind: 'baseline' | 'read' | 'write' | 'verify'
  next(): BenchRequest
  /** True when the answer is the one this scenario expects (status and, where it matters, body). */
  expected(status: number, body: string): boolean
  /** Whether `expected` needs the body (reading it costs the load generator). */
  readsBody?: boolean
}

export interface ProcessSample {
  /** Server CPU over the measured window, in % of one core (200 = both cores of two). */
  cpuPercent: number
  /** Server CPU time over the window (user + system), in seconds. */
  cpuSeconds: number
  peakRssMb: number
}

export interface ScenarioResult extends ProcessSample {
  name: string
  kind: Scenario['kind']
  durationS: number
  requests: number
  requestsPerSecond: number
  latencyMs: { p50: number; p99: number; p99_9: number; max: number }
  /** Unexpected answers, transport errors and timeouts together: must be 0. */
  errors: number
  unexpected: Record<string, number>
  /**
   * Server CPU time per request, in microseconds: what a request costs whatever else the
   * machine is doing (requests/s also depends on the load generator's share of the cores).
   */
  cpuUsPerRequest: number
  /** requestsPerSecond / the bare route's, in the same run. */
  ratioToBare?: number
}

const CLOCK_TICKS = 100 // USER_HZ on Linux

const cpuTicks = (pid: number): number => {
  // /proc/<pid>/stat: the command may hold spaces, so count fields after its closing paren.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime + stime
}

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : 0
}

/** Samples a process's RSS every 100 ms and its CPU over the whole window. */
const sampleProcess = (pid: number): (() => ProcessSample) => {
  const startTicks = cpuTicks(pid)
  const startedAt = process.hrtime.bigint()
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid))
  }, 100)
  return () => {
    clearInterval(timer)
    peak = Math.max(peak, rssMb(pid))
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9
    const cpu = (cpuTicks(pid) - startTicks) / CLOCK_TICKS / seconds
    return {
      cpuPercent: Math.round(cpu * 1000) / 10,
      cpuSeconds: (cpuTicks(pid) - startTicks) / CLOCK_TICKS,
      peakRssMb: Math.round(peak * 10) / 10,
    }
  }
}

export interface LoadOptions {
  baseUrl: string
  serverPid: number
  connections: number
  durationS: number
  warmupS: number
}

const drive = (
  scenario: Scenario,
  options: LoadOptions,
  durationS: number,
  unexpected: Record<string, number>,
): Promise<autocannon.Result> => {
  const onResponse = (status: number, body: string) => {
    if (!scenario.expected(status, body)) {
      // The outcome of an Authentication API answer, else the start of the body.
      const reason = /"attemptReasonCode":"([^"]*)"/.exec(body)?.[1] ?? body.slice(0, 120)
      const key = scenario.readsBody ? `${status} ${reason}` : String(status)
      unexpected[key] = (unexpected[key] ?? 0) + 1
    }
  }
  return autocannon({
    url: options.baseUrl,
    connections: options.connections,
    duration: durationS,
    timeout: 10,
    requests: [
      {
        setupRequest: (request) => {
          const next = scenario.next()
          return {
            ...request,
            method: next.method,
            path: next.path,
            headers: next.headers,
            ...(next.body !== undefined && { body: next.body }),
          }
        },
        onResponse,
      },
    ],
  })
}

/** Warms the scenario up, then measures it for `durationS` while sampling the server. */
export const runScenario = async (
  scenario: Scenario,
  options: LoadOptions,
): Promise<ScenarioResult> => {
  if (options.warmupS > 0) await drive(scenario, options, options.warmupS, {})
  const unexpected: Record<string, number> = {}
  const stop = sampleProcess(options.serverPid)
  const result = await drive(scenario, options, options.durationS, unexpected)
  const sample = stop()
  const unexpectedCount = Object.values(unexpected).reduce((a, b) => a + b, 0)
  return {
    name: scenario.name,
    kind: scenario.kind,
    durationS: options.durationS,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      p99_9: result.latency.p99_9,
      max: result.latency.max,
    },
    errors: unexpectedCount + result.errors + result.timeouts,
    unexpected: {
      ...unexpected,
      ...(result.errors > 0 && { 'transport errors': result.errors }),
      ...(result.timeouts > 0 && { timeouts: result.timeouts }),
    },
    ...sample,
    cpuUsPerRequest: Math.round((sample.cpuSeconds / Math.max(1, result.requests.total)) * 1e6),
  }
}

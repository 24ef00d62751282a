/**
 * `node bench/dist/chart.js <result.json>… [--out <file.svg>]`: one chart from several runs'
 * results (say, a SQLite run and a PostgreSQL run made separately). Default output:
 * bench/results/chart.svg.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RunGroup, renderChart } from './report.js'

interface Report {
  at: string
  machine: { commit: string; cores: number; cpu: string; node: string }
  settings: { connections: number; durationS: number }
  groups: RunGroup[]
}

const args = process.argv.slice(2)
const outAt = args.indexOf('--out')
const out =
  outAt === -1
    ? fileURLToPath(new URL('../results/chart.svg', import.meta.url))
    : (args[outAt + 1] ?? '')
const files = args.filter((_, i) => i !== outAt && i !== outAt + 1)
if (files.length === 0 || out === '') {
  process.stderr.write('usage: node bench/dist/chart.js <result.json>… [--out <file.svg>]\n')
  process.exit(2)
}
const reports = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report)
const first = reports[0] as Report
const commits = [...new Set(reports.map((r) => r.machine.commit))].join(', ')
const caption = `tokendesk ${commits} · ${first.machine.cores} cores (${first.machine.cpu}) · Node ${first.machine.node} · ${first.settings.connections} connections, ${first.settings.durationS} s per scenario · ${first.at.slice(0, 10)}`
writeFileSync(
  out,
  renderChart(
    reports.flatMap((r) => r.groups),
    caption,
  ),
)
process.stderr.write(`chart: ${join(out)}\n`)

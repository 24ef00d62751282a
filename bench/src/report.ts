import type { ScenarioResult } from './load.js'

/** Progress of long seeding steps, on stderr: a rewritten line on a TTY, every 10% otherwise. */
export const progress = (label: string, done: number, total: number): void => {
  const percent = Math.floor((done / total) * 100)
  if (process.stderr.isTTY) {
    process.stderr.write(`\r  seeding ${label}: ${done}/${total} (${percent}%)`)
    if (done === total) process.stderr.write('\n')
  } else if (
    done === total ||
    (percent % 10 === 0 && Math.floor(((done - 1) / total) * 100) < percent)
  ) {
    process.stderr.write(`  seeding ${label}: ${done}/${total}\n`)
  }
}

export interface RunGroup {
  /** e.g. "SQLite, 100,000 users". */
  title: string
  results: ScenarioResult[]
}

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  )

const COLOURS: Record<ScenarioResult['kind'], string> = {
  baseline: '#9e9e9e',
  read: '#1f77b4',
  write: '#d62728',
  verify: '#2ca02c',
}

/**
 * A horizontal bar chart of requests/s per scenario, one block per run group, each bar labelled
 * with its ratio to the bare route of the same run. Plain SVG, no dependencies.
 */
export const renderChart = (groups: readonly RunGroup[], caption: string): string => {
  const width = 900
  const labelWidth = 230
  const barArea = width - labelWidth - 200
  const rowHeight = 22
  const max = Math.max(1, ...groups.flatMap((g) => g.results.map((r) => r.requestsPerSecond)))
  const rows: string[] = []
  let y = 40
  for (const group of groups) {
    rows.push(
      `<text x="10" y="${y}" font-weight="bold" font-size="14">${escapeXml(group.title)}</text>`,
    )
    y += 10
    for (const r of group.results) {
      const w = Math.max(1, Math.round((r.requestsPerSecond / max) * barArea))
      const ratio =
        r.ratioToBare === undefined ? '' : ` · ${Math.round(r.ratioToBare * 100)}% of bare`
      rows.push(
        `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end" font-size="12">${escapeXml(r.name)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 6}" fill="${COLOURS[r.kind]}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + 15}" font-size="12">${r.requestsPerSecond.toLocaleString('en-US')} req/s${ratio}, p99 ${r.latencyMs.p99} ms</text>`,
      )
      y += rowHeight
    }
    y += 18
  }
  const height = y + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="13" fill="#444">${escapeXml(caption)}</text>`,
    ...rows,
    `<text x="10" y="${height - 8}" font-size="11" fill="#666">grey: bare Fastify route · blue: read · red: durable write · green: verification</text>`,
    '</svg>',
    '',
  ].join('\n')
}

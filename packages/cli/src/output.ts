/**
 * Where the CLI writes. Results go to stdout (one value a line, so that scripts can read them);
 * failures go to stderr as one line each. Nothing else in the CLI prints.
 */
export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}

export const err = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

/** Left-aligned columns, two spaces apart; the first row is the header. */
export const table = (rows: readonly (readonly string[])[]): string[] => {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}

/** Epoch milliseconds as ISO-8601 UTC (the API's timestamp format), `null` stays `null`. */
export const isoOrNull = (at: number | null): string | null =>
  at === null ? null : new Date(at).toISOString()

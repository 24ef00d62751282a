import { readFile } from 'node:fs/promises'
import {
  DomainError,
  type ImportFormat,
  type ImportRowError,
  importFormatOf,
  parseUserImport,
} from '@tokendesk/core'
import { cliContext, companyNamed, loadCliConfig, withRuntime } from '../local.js'
import { err, out } from '../output.js'
import { CliError, parse, required, UsageError } from '../usage.js'

const BAR_WIDTH = 30

/**
 * Progress of the insert on stderr (stdout keeps the result alone): a bar redrawn in place on a
 * terminal, else one plain line each tenth of the way, so that logs stay short.
 */
const progressReporter = (stream: NodeJS.WriteStream) => {
  let lastTenth = -1
  return {
    update(done: number, total: number) {
      const ratio = total === 0 ? 1 : done / total
      if (stream.isTTY) {
        const filled = Math.round(ratio * BAR_WIDTH)
        const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`
        stream.write(
          `\rimporting [${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total}`,
        )
        return
      }
      const tenth = Math.floor(ratio * 10)
      if (tenth > lastTenth || done === total) {
        lastTenth = tenth
        stream.write(`importing: ${done}/${total} (${Math.floor(ratio * 100)}%)\n`)
      }
    },
    finish() {
      if (stream.isTTY && lastTenth !== -2) stream.write('\n')
      lastTenth = -2
    },
  }
}

/**
 * `tokendesk users import --company NAME FILE [--format csv|ndjson] [--dry-run]`: the same
 * all-or-nothing import as `POST /v1/users/import`, on the database directly. The format comes
 * from `--format` or the file's extension (`.csv`, `.ndjson`, `.jsonl`). Bad rows: one line
 * each on stderr (`line N: …`), nothing imported, exit 1.
 */
export const users = async (args: readonly string[]): Promise<void> => {
  const [action, ...rest] = args
  if (action !== 'import') {
    throw new UsageError(action ? `unknown command 'users ${action}'` : 'users: missing command')
  }
  const { values, positionals } = parse(
    rest,
    {
      company: { type: 'string' },
      format: { type: 'string' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string' },
    },
    1,
  )
  const companyName = required(values.company, '--company')
  const file = positionals[0]
  if (file === undefined) throw new UsageError('users import: FILE is required')
  let format: ImportFormat | undefined
  if (values.format !== undefined) {
    if (values.format !== 'csv' && values.format !== 'ndjson') {
      throw new UsageError('--format must be csv or ndjson')
    }
    format = values.format
  } else {
    format = importFormatOf(file)
    if (format === undefined) {
      throw new UsageError('cannot tell the format from the file name: use --format csv|ndjson')
    }
  }
  const config = loadCliConfig(values.config)

  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file))
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(`${file} is not UTF-8 text`)
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const dryRun = values['dry-run'] === true

  const progress = progressReporter(process.stderr)
  const result = await withRuntime(config, async (runtime) => {
    const company = await companyNamed(runtime, companyName)
    const parsed = parseUserImport(text, format)
    try {
      return await runtime.services.users.importUsers(cliContext(company.id), parsed, {
        dryRun,
        onProgress: (done, total) => progress.update(done, total),
      })
    } catch (error) {
      if (error instanceof DomainError && error.code === 'IMPORT_ROWS_INVALID') {
        const rows = (error.details?.errors ?? []) as ImportRowError[]
        for (const row of rows) err(`line ${row.line}: ${row.description}`)
        throw new CliError(
          `nothing was imported: ${rows.length} invalid ${rows.length === 1 ? 'row' : 'rows'}`,
        )
      }
      throw error
    } finally {
      progress.finish()
    }
  })
  if (result.dryRun) out(`wouldImport: ${result.wouldImport}`)
  else out(`imported: ${result.imported}`)
}

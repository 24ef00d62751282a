import { readFile } from 'node:fs/promises'
import type { TokenImportItem } from '@tokendesk/core'
import { readPskc } from '@tokendesk/server'
import { cliContext, companyNamed, loadCliConfig, withRuntime } from '../local.js'
import { out } from '../output.js'
import { CliError, parse, required, UsageError } from '../usage.js'

/** The JSON import form of `POST /v1/sidTokens/import`: `{"tokens": […]}` or a bare array. */
const readJsonTokens = (text: string, file: string): TokenImportItem[] => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError(`${file} is neither PSKC (XML) nor JSON`)
  }
  const tokens = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown } | null)?.tokens
  if (!Array.isArray(tokens)) throw new CliError(`${file}: expected {"tokens": [...]}`)
  return tokens.map((token, index) => {
    const item = token as Partial<Record<keyof TokenImportItem, unknown>> | null
    if (typeof item?.tokenSerialNumber !== 'string' || typeof item.secret !== 'string') {
      throw new CliError(`${file}: tokens[${index}] needs string tokenSerialNumber and secret`)
    }
    const digits = item.digits === undefined ? undefined : item.digits
    if (digits !== undefined && digits !== 6 && digits !== 8) {
      throw new CliError(`${file}: tokens[${index}].digits must be 6 or 8`)
    }
    if (item.period !== undefined && typeof item.period !== 'number') {
      throw new CliError(`${file}: tokens[${index}].period must be a number`)
    }
    return {
      tokenSerialNumber: item.tokenSerialNumber,
      secret: item.secret,
      ...(digits !== undefined && { digits }),
      ...(item.period !== undefined && { period: item.period }),
    }
  })
}

/**
 * `tokendesk tokens import --company NAME FILE [--pre-shared-key HEX] [--dry-run]`: the same
 * all-or-nothing import as the API, on the database directly. A file whose first character is
 * `<` is PSKC (RFC 6030); anything else is the JSON form. The password of a PBKDF2-protected
 * PSKC file comes from `TOKENDESK_PSKC_PASSWORD`, never from the command line (where other users
 * could read it in the process list).
 */
export const tokens = async (args: readonly string[]): Promise<void> => {
  const [action, ...rest] = args
  if (action !== 'import') {
    throw new UsageError(action ? `unknown command 'tokens ${action}'` : 'tokens: missing command')
  }
  const { values, positionals } = parse(
    rest,
    {
      company: { type: 'string' },
      'pre-shared-key': { type: 'string' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string' },
    },
    1,
  )
  const companyName = required(values.company, '--company')
  const file = positionals[0]
  if (file === undefined) throw new UsageError('tokens import: FILE is required')
  const config = loadCliConfig(values.config)

  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file))
  } catch (error) {
    if (error instanceof TypeError) throw new CliError(`${file} is not UTF-8 text`)
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  const items = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('<')
    ? readPskc(text, {
        preSharedKey: values['pre-shared-key'],
        password: process.env.TOKENDESK_PSKC_PASSWORD,
      })
    : readJsonTokens(text, file)

  const result = await withRuntime(config, async (runtime) => {
    const company = await companyNamed(runtime, companyName)
    return runtime.services.tokens.importTokens(cliContext(company.id), items, {
      dryRun: values['dry-run'] === true,
    })
  })
  if (result.dryRun) out(`wouldImport: ${result.wouldImport}`)
  else out(`imported: ${result.imported}\n${result.serials.join('\n')}`)
}

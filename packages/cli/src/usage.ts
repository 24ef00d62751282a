import { parseArgs } from 'node:util'

/** Bad usage: unknown command or flag, missing or malformed argument. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The operation was understood but failed (unknown company, file exists…). Exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError'
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** The whole command set of operations.md; the commands of later issues are listed as such. */
export const USAGE = `Usage: tokendesk <command> [options]

Server:
  tokendesk serve [--port N] [--host H] [--config FILE]
  tokendesk migrate [--config FILE]          apply pending migrations, print the version

Local administration (works on the database directly, same configuration as serve):
  tokendesk company create --name NAME       prints the company id
  tokendesk apikey create --company NAME --role SUPER_ADMIN|HELP_DESK_ADMIN
                          [--description D] [--out FILE]
                                             writes the key file (mode 0600), prints its accessID
  tokendesk apikey list --company NAME [--json]
  tokendesk apikey revoke ACCESS_ID
  tokendesk agentkey create --company NAME --out FILE [--description D]
                                             writes the agent key file (mode 0600), prints its
                                             clientKeyId
  tokendesk agentkey list --company NAME [--json]
  tokendesk agentkey revoke --company NAME CLIENT_KEY_ID
  tokendesk users import --company NAME FILE [--format csv|ndjson] [--dry-run]
                                             CSV or NDJSON, all or nothing; bad rows on stderr
  tokendesk tokens import --company NAME FILE [--pre-shared-key HEX] [--dry-run]
                                             PSKC (RFC 6030) or JSON, all or nothing; a PBKDF2
                                             password comes from $TOKENDESK_PSKC_PASSWORD
  tokendesk audit verify [--company NAME]    check the audit hash chains; exit 1 names the
                                             first altered or missing event

Remote help desk (through the API with a key file; --key defaults to $TOKENDESK_KEY_FILE;
--json prints the API's JSON):
  tokendesk remote --key FILE user show EMAIL
  tokendesk remote --key FILE eac enable EMAIL [--days N] | eac disable EMAIL
  tokendesk remote --key FILE unlock EMAIL [--methods TOKEN,SMS,VOICE]
  tokendesk remote --key FILE token enable EMAIL SERIAL | token disable EMAIL SERIAL


Every local command accepts --config FILE (a JSON file with the configuration's camelCase keys;
TOKENDESK_* environment variables override it). See docs/cli.md and docs/configuration.md.

Exit codes: 0 success, 1 the operation failed (message on stderr), 2 bad usage.`

type Options = Record<string, { type: 'string' | 'boolean' }>

export interface Parsed<O extends Options> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }
  positionals: string[]
}

/**
 * `node:util` parseArgs in strict mode, with its errors turned into usage errors, and at most
 * `maxPositionals` positional arguments.
 */
export const parse = <const O extends Options>(
  args: readonly string[],
  options: O,
  maxPositionals = 0,
): Parsed<O> => {
  let parsed: Parsed<O>
  try {
    parsed = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    }) as Parsed<O>
  } catch (error) {
    // Node's messages go on with advice about `--`; the first sentence is the problem.
    throw new UsageError((error as Error).message.split(/\.\s/)[0] ?? String(error))
  }
  const extra = parsed.positionals[maxPositionals]
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`)
  return parsed
}

/** A required `--flag`'s value. */
export const required = (value: string | boolean | undefined, flag: string): string => {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`)
  return value
}

#!/usr/bin/env node
import { err, out } from './output.js'
import { EXIT, USAGE, UsageError } from './usage.js'

/**
 * The `tokendesk` command (operations.md, CLI). Exit codes: 0 success, 1 the operation failed
 * (one line on stderr, or every problem of an invalid configuration), 2 bad usage.
 */
// Each command is loaded on use: `help`, usage errors and `remote` never load the server.
const COMMANDS: Record<string, (args: readonly string[]) => Promise<void>> = {
  serve: async (args) => (await import('./commands/serve.js')).serve(args),
  migrate: async (args) => (await import('./commands/migrate.js')).migrate(args),
  company: async (args) => (await import('./commands/company.js')).company(args),
  apikey: async (args) => (await import('./commands/apikey.js')).apikey(args),
  agentkey: async (args) => (await import('./commands/agentkey.js')).agentkey(args),
  audit: async (args) => (await import('./commands/audit.js')).audit(args),
  remote: async (args) => (await import('./commands/remote.js')).remote(args),
  users: async (args) => (await import('./commands/users.js')).users(args),
  tokens: async (args) => (await import('./commands/tokens.js')).tokens(args),
}

/** The server's `ConfigError`, recognised without loading the server. */
const isConfigError = (error: unknown): error is Error & { problems: readonly string[] } =>
  error instanceof Error &&
  error.name === 'ConfigError' &&
  Array.isArray((error as { problems?: unknown }).problems)

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...args] = argv
  if (command === undefined) {
    err(USAGE)
    return EXIT.usage
  }
  if (command === 'help' || command === '--help' || command === '-h' || wantsHelp(args)) {
    out(USAGE)
    return EXIT.ok
  }
  try {
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
    if (run) {
      await run(args)
      return EXIT.ok
    }
    throw new UsageError(`unknown command '${command}'`)
  } catch (error) {
    return report(error)
  }
}

/** `--help` / `-h` anywhere before a `--` separator. */
const wantsHelp = (args: readonly string[]): boolean => {
  const end = args.indexOf('--')
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

const report = (error: unknown): number => {
  if (error instanceof UsageError) {
    err(`tokendesk: ${error.message} (see 'tokendesk help')`)
    return EXIT.usage
  }
  if (isConfigError(error)) {
    err('tokendesk: invalid configuration:')
    for (const problem of error.problems) err(`  - ${problem}`)
    return EXIT.failed
  }
  // CliError, DomainError, driver and file-system errors: their message, without the stack.
  const message = error instanceof Error ? error.message : String(error)
  err(`tokendesk: ${message.split('\n')[0]}`)
  return EXIT.failed
}

const code = await main(process.argv.slice(2))
process.exitCode = code
// Exit once stdout and stderr have drained, even if a library left a handle open.
setTimeout(() => process.exit(code), 2000).unref()

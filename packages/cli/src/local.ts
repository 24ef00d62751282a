import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { DomainError, type OperationContext } from '@tokendesk/core'
import {
  type Config,
  createRuntime,
  loadConfig,
  type Runtime,
  sqlitePathOf,
} from '@tokendesk/server'
import { CliError } from './usage.js'

export interface CliConfigOptions {
  /** `--port`, `--host` of `serve`: they win over everything. */
  overrides?: Partial<Config>
  /** False for commands that never use the server secret (`migrate`); default true. */
  needsSecretKey?: boolean
  /** True for `serve` only: the TLS files must then be readable (the others never open them). */
  servesHttp?: boolean
}

/**
 * What every command shares with `serve`: one configuration (defaults, `--config FILE`, the
 * TOKENDESK_* environment, then command-line overrides) and one runtime, closed after use.
 */
export const loadCliConfig = (file: string | undefined, options: CliConfigOptions = {}): Config =>
  loadConfig({
    ...(file === undefined ? {} : { file }),
    overrides: options.overrides ?? {},
    needsSecretKey: options.needsSecretKey ?? true,
    servesHttp: options.servesHttp ?? false,
  })

export interface RuntimeUse {
  /**
   * Whether the command may create the database: only `company create`, a fresh install's first
   * command. The others need data that exists (a company, a key), so a SQLite path with no file
   * behind it is refused rather than left behind as an empty database.
   */
  createsDatabase?: boolean
}

export const withRuntime = async <T>(
  config: Config,
  work: (runtime: Runtime) => Promise<T>,
  use: RuntimeUse = {},
): Promise<T> => {
  if (use.createsDatabase !== true) requireDatabaseFile(config)
  let runtime: Runtime
  try {
    runtime = await createRuntime(config)
  } catch (error) {
    throw explainStorageError(config, error)
  }
  try {
    return await work(runtime)
  } catch (error) {
    throw explainStorageError(config, error)
  } finally {
    await runtime.close()
  }
}

/** A SQLite database URL names a file that must exist already (see {@link RuntimeUse}). */
const requireDatabaseFile = (config: Config): void => {
  const path = sqlitePathOf(config.databaseUrl)
  if (path === undefined || path === ':memory:' || path === '' || existsSync(path)) return
  throw new CliError(
    `no database at ${resolve(path)} (start the service or run "tokendesk migrate" first)`,
  )
}

/**
 * `STORAGE_UNAVAILABLE` says "The service is temporarily unavailable.", which is the API's
 * answer; on the command line, say what is unavailable: the database, by its address (never the
 * URL, which may hold a password). Other errors pass unchanged.
 */
export const explainStorageError = (config: Config, error: unknown): unknown => {
  if (!(error instanceof DomainError) || error.code !== 'STORAGE_UNAVAILABLE') return error
  const url = config.databaseUrl
  const sqlitePath = sqlitePathOf(url)
  if (sqlitePath !== undefined) {
    return new CliError(
      `the database ${resolve(sqlitePath)} is busy: another process held its ` +
        'write lock too long (try again)',
    )
  }
  const detail = causeOf(error.cause, url)
  return new CliError(
    `the database at ${postgresAddressOf(url)} is unreachable${detail ? ` (${detail})` : ''}`,
  )
}

/** `host:port` of a PostgreSQL URL, with pg's defaults (`localhost`, `5432`). */
const postgresAddressOf = (url: string): string => {
  try {
    const parsed = new URL(url)
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost'
    return `${host}:${parsed.port || parsed.searchParams.get('port') || '5432'}`
  } catch {
    return 'the configured address'
  }
}

/** The driver's error code (`ECONNREFUSED`…) or first line, never the URL's password. */
const causeOf = (cause: unknown, url: string): string | undefined => {
  if (!(cause instanceof Error)) return undefined
  const { code } = cause as { code?: unknown }
  const detail = typeof code === 'string' ? code : cause.message.split('\n')[0]
  if (!detail) return undefined
  let password = ''
  try {
    password = decodeURIComponent(new URL(url).password)
  } catch {}
  return password ? detail.replaceAll(password, '***') : detail
}

/** The company named exactly `name`, or a failure naming it. */
export const companyNamed = async (runtime: Runtime, name: string) => {
  const company = await runtime.services.companies.findByName(name)
  if (!company) throw new CliError(`company '${name}' not found`)
  return company
}

/** The CLI acts as itself in the audit log: actor type `cli`, no key, no request. */
export const cliContext = (companyId: string): OperationContext => ({
  companyId,
  actor: { type: 'cli', id: null, role: null },
  requestId: null,
  sourceIp: null,
})

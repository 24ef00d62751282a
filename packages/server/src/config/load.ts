import { readFileSync } from 'node:fs'
import { Value, type ValueError } from '@sinclair/typebox/value'
import { isSchemaName, splitSchema } from '@tokendesk/storage'
import { type Config, ConfigSchema } from './schema.js'

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.problems = problems
  }
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>
  /** A JSON file with the same (camelCase) keys; the environment overrides it. */
  file?: string
  /** Command-line overrides (`--port`, `--host`); they win over everything. */
  overrides?: Partial<Config>
  /**
   * Whether the process uses the server secret (default true), so that PostgreSQL requires
   * `TOKENDESK_SECRET_KEY`. `tokendesk migrate` changes the schema only and does not.
   */
  needsSecretKey?: boolean
  /**
   * Whether the process serves HTTP (default true), so that the TLS files must be readable now.
   * The CLI's other commands share the configuration but never open them.
   */
  servesHttp?: boolean
}

const envNames = Object.entries(ConfigSchema.properties).map(
  ([key, schema]) => [key, (schema as unknown as { env: string }).env] as const,
)

/** `TOKENDESK_PORT (port): …`: the variable and the file key, for every problem alike. */
const problem = (key: string, message: string): string => {
  const name = envNames.find(([k]) => k === key)?.[1]
  return name ? `${name} (${key}): ${message}` : `${key}: ${message}`
}

const INTEGER_KEYS = new Set(
  Object.entries(ConfigSchema.properties)
    .filter(([, schema]) => (schema as unknown as { type?: string }).type === 'integer')
    .map(([key]) => key),
)

/**
 * Loads the configuration once: defaults, then the file, then the environment, then overrides.
 * Every problem is reported together (`ConfigError.problems`), naming the variable to fix.
 */
export const loadConfig = (options: LoadConfigOptions = {}): Config => {
  const env = options.env ?? process.env
  const problems: string[] = []
  let fromFile: Record<string, unknown> = {}
  if (options.file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(options.file, 'utf8'))
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`${options.file}: must hold a JSON object`)
      } else fromFile = parsed as Record<string, unknown>
    } catch (error) {
      problems.push(`${options.file}: ${(error as Error).message}`)
    }
  }
  const fromEnv: Record<string, unknown> = {}
  for (const [key, name] of envNames) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    if (INTEGER_KEYS.has(key)) {
      fromEnv[key] = /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw
    } else fromEnv[key] = raw
  }
  const candidate = Value.Default(ConfigSchema, {
    ...fromFile,
    ...fromEnv,
    ...options.overrides,
  }) as Record<string, unknown>
  for (const error of Value.Errors(ConfigSchema, candidate)) {
    problems.push(problem(error.path.replace(/^\//, ''), messageOf(error)))
  }
  problems.push(
    ...tlsProblems(candidate, options.servesHttp ?? true),
    ...smsProblems(candidate),
    ...secretKeyProblems(candidate, options.needsSecretKey ?? true),
    ...databaseUrlProblems(candidate),
  )
  if (problems.length > 0) throw new ConfigError(problems)
  return candidate as Config
}

/** TypeBox's message, except that a choice of words lists them ("Expected union value" does not). */
const messageOf = (error: ValueError): string => {
  const choices = (error.schema as { anyOf?: { const?: unknown }[] }).anyOf?.map((s) => s.const)
  return choices?.every((choice) => typeof choice === 'string')
    ? `must be one of ${choices.join(', ')}`
    : error.message
}

/**
 * The TLS pair comes together, and for a process that serves, each file must be readable now: a
 * typo in a path is reported with every other problem, not after the database has been opened.
 */
const tlsProblems = (candidate: Record<string, unknown>, servesHttp: boolean): string[] => {
  const problems: string[] = []
  const { tlsCert, tlsKey } = candidate
  if (tlsCert !== undefined && tlsKey === undefined) {
    problems.push(problem('tlsKey', 'required when TOKENDESK_TLS_CERT is set'))
  }
  if (tlsKey !== undefined && tlsCert === undefined) {
    problems.push(problem('tlsCert', 'required when TOKENDESK_TLS_KEY is set'))
  }
  if (!servesHttp) return problems
  for (const [key, path] of [
    ['tlsCert', tlsCert],
    ['tlsKey', tlsKey],
  ] as const) {
    if (typeof path !== 'string' || path === '') continue
    try {
      readFileSync(path)
    } catch (error) {
      problems.push(problem(key, `cannot read ${path} (${(error as NodeJS.ErrnoException).code})`))
    }
  }
  return problems
}

/**
 * `smsDelivery`: `webhook` needs the URL and the secret; `file` with a URL set is a contradiction
 * (the operator cannot have meant both). Unset, the URL alone chooses the webhook, as it did
 * before the setting existed, so that it still needs its secret.
 */
const smsProblems = (candidate: Record<string, unknown>): string[] => {
  const { smsDelivery, smsWebhookUrl, smsWebhookSecret } = candidate
  if (smsDelivery === 'file' && smsWebhookUrl !== undefined) {
    return [
      problem(
        'smsDelivery',
        'is file, but TOKENDESK_SMS_WEBHOOK_URL is set: unset one of them ' +
          '(or set TOKENDESK_SMS_DELIVERY=webhook)',
      ),
    ]
  }
  const reason =
    smsDelivery === 'webhook'
      ? 'TOKENDESK_SMS_DELIVERY is webhook'
      : smsDelivery === undefined && smsWebhookUrl !== undefined
        ? 'TOKENDESK_SMS_WEBHOOK_URL is set'
        : undefined
  if (reason === undefined) return []
  const problems: string[] = []
  if (smsWebhookUrl === undefined) {
    problems.push(problem('smsWebhookUrl', `required when ${reason}`))
  }
  if (smsWebhookSecret === undefined) {
    problems.push(problem('smsWebhookSecret', `required when ${reason}`))
  }
  return problems
}

const isPostgresUrl = (url: unknown): url is string =>
  typeof url === 'string' && /^postgres(ql)?:\/\//.test(url)

/**
 * The secret must decode to 32+ bytes (the schema checks only the length of its text), and
 * PostgreSQL needs it set: there is no file beside the database, and every node must share it.
 */
const secretKeyProblems = (
  candidate: Record<string, unknown>,
  needsSecretKey: boolean,
): string[] => {
  const { secretKey, databaseUrl } = candidate
  if (typeof secretKey === 'string') {
    // Shorter text is already a schema error; past it, Buffer drops what is not base64.
    const tooShort = secretKey.length >= 44 && secretKeyBytes(secretKey).length < 32
    return tooShort ? [problem('secretKey', 'must be base64 of at least 32 bytes')] : []
  }
  if (secretKey === undefined && needsSecretKey && isPostgresUrl(databaseUrl)) {
    return [problem('secretKey', 'required with PostgreSQL (every node must share it)')]
  }
  return []
}

/** The raw server secret of its base64 text. */
export const secretKeyBytes = (base64: string): Buffer => Buffer.from(base64.trim(), 'base64')

const databaseUrlProblems = (candidate: Record<string, unknown>): string[] => {
  const { databaseUrl } = candidate
  if (!isPostgresUrl(databaseUrl)) return []
  // The storage's own reading and rule, checked here too to be reported with the other problems.
  const { schema } = splitSchema(databaseUrl)
  if (schema === undefined || isSchemaName(schema)) return []
  return [
    problem(
      'databaseUrl',
      `?schema=${JSON.stringify(schema)} is not a valid schema name ` +
        '(a lowercase letter or _, then up to 62 lowercase letters, digits or _)',
    ),
  ]
}

/**
 * How SMS and voice codes leave: `smsDelivery`, else the webhook when its URL is set (what
 * deployments relied on before the setting existed), else the file outbox.
 */
export const smsDeliveryOf = (config: Config): 'file' | 'webhook' =>
  config.smsDelivery ?? (config.smsWebhookUrl !== undefined ? 'webhook' : 'file')

/** `<publicUrl>` without a trailing slash. */
export const publicUrlOf = (config: Config): string => {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '')
  const scheme = config.tlsCert ? 'https' : 'http'
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  return `${scheme}://${host}:${config.port}`
}

/** The key file's `adminRestApiUrl`: `<publicUrl>/AdminInterface/restapi/`. */
export const adminRestApiUrlOf = (config: Config): string =>
  `${publicUrlOf(config)}/AdminInterface/restapi/`

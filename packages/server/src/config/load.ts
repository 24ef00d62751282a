import { readFileSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
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
}

const envNames = Object.entries(ConfigSchema.properties).map(
  ([key, schema]) => [key, (schema as unknown as { env: string }).env] as const,
)

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
    const key = error.path.replace(/^\//, '')
    const name = envNames.find(([k]) => k === key)?.[1]
    problems.push(`${name ?? key}${name ? ` (${key})` : ''}: ${error.message}`)
  }
  if (candidate.tlsCert !== undefined && candidate.tlsKey === undefined) {
    problems.push('TOKENDESK_TLS_KEY: required when TOKENDESK_TLS_CERT is set')
  }
  if (candidate.tlsKey !== undefined && candidate.tlsCert === undefined) {
    problems.push('TOKENDESK_TLS_CERT: required when TOKENDESK_TLS_KEY is set')
  }
  if (candidate.smsWebhookUrl !== undefined && candidate.smsWebhookSecret === undefined) {
    problems.push('TOKENDESK_SMS_WEBHOOK_SECRET: required when TOKENDESK_SMS_WEBHOOK_URL is set')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return candidate as Config
}

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

import type { OperationContext } from '@tokendesk/core'
import { type Config, createRuntime, loadConfig, type Runtime } from '@tokendesk/server'
import { CliError } from './usage.js'

/**
 * What every command shares with `serve`: one configuration (defaults, `--config FILE`, the
 * TOKENDESK_* environment, then command-line overrides) and one runtime, closed after use.
 */
export const loadCliConfig = (file: string | undefined, overrides: Partial<Config> = {}): Config =>
  loadConfig({ ...(file === undefined ? {} : { file }), overrides })

export const withRuntime = async <T>(
  config: Config,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> => {
  const runtime = await createRuntime(config)
  try {
    return await work(runtime)
  } finally {
    await runtime.close()
  }
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

import { loadCliConfig, withRuntime } from '../local.js'
import { out } from '../output.js'
import { parse, required, UsageError } from '../usage.js'

/** `tokendesk company create --name NAME`: prints the new company's id. */
export const company = async (args: readonly string[]): Promise<void> => {
  const [action, ...rest] = args
  if (action !== 'create') {
    throw new UsageError(
      action ? `unknown command 'company ${action}'` : 'company: missing command',
    )
  }
  const { values } = parse(rest, { name: { type: 'string' }, config: { type: 'string' } })
  const name = required(values.name, '--name')
  const config = loadCliConfig(values.config)
  // The first command of a fresh install (before any `serve`): it may create the database.
  const created = await withRuntime(config, (runtime) => runtime.services.companies.create(name), {
    createsDatabase: true,
  })
  out(created.id)
}

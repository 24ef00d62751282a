import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { writeKeyFile } from '@tokendesk/server'
import { cliContext, companyNamed, loadCliConfig, withRuntime } from '../local.js'
import { isoOrNull, out, table } from '../output.js'
import { CliError, parse, required, UsageError } from '../usage.js'

/**
 * `tokendesk agentkey create|list|revoke`: the Authentication API's `client-key`s. The key file
 * (`{"customerName","clientKeyId","clientKey","authnApiUrl"}`, admin-api.md §2) is the only copy
 * of the key: written once with mode 0600, never over an existing file, never printed.
 */
export const agentkey = async (args: readonly string[]): Promise<void> => {
  const [action, ...rest] = args
  switch (action) {
    case 'create':
      return create(rest)
    case 'list':
      return list(rest)
    case 'revoke':
      return revoke(rest)
    default:
      throw new UsageError(
        action ? `unknown command 'agentkey ${action}'` : 'agentkey: missing command',
      )
  }
}

const create = async (args: readonly string[]): Promise<void> => {
  const { values } = parse(args, {
    company: { type: 'string' },
    description: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string' },
  })
  const companyName = required(values.company, '--company')
  const path = resolve(required(values.out, '--out'))
  // Refused before the key exists, so that a refusal leaves nothing behind.
  if (existsSync(path)) throw new CliError(`${path} already exists; refusing to overwrite it`)
  const config = loadCliConfig(values.config)
  await withRuntime(config, async (runtime) => {
    const found = await companyNamed(runtime, companyName)
    const ctx = cliContext(found.id)
    const { key, file } = await runtime.services.agentKeys.create(ctx, {
      description: values.description ?? null,
    })
    try {
      writeKeyFile(path, { ...file })
    } catch (error) {
      // Nobody holds the key: a key that cannot be used must not stay active.
      await runtime.services.agentKeys.revoke(ctx, key.id)
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new CliError(`cannot write ${path} (${reason}); the new agent key was revoked`)
    }
    out(`clientKeyId: ${key.id}`)
    out(`keyFile: ${path}`)
  })
}

const list = async (args: readonly string[]): Promise<void> => {
  const { values } = parse(args, {
    company: { type: 'string' },
    json: { type: 'boolean' },
    config: { type: 'string' },
  })
  const companyName = required(values.company, '--company')
  const config = loadCliConfig(values.config)
  const keys = await withRuntime(config, async (runtime) => {
    const found = await companyNamed(runtime, companyName)
    return runtime.services.agentKeys.list(cliContext(found.id))
  })
  const rows = keys.map((k) => ({
    clientKeyId: k.id,
    description: k.description,
    createdAt: new Date(k.createdAt).toISOString(),
    revokedAt: isoOrNull(k.revokedAt),
  }))
  if (values.json) {
    out(JSON.stringify(rows, null, 2))
    return
  }
  const header = ['CLIENT KEY ID', 'DESCRIPTION', 'CREATED', 'REVOKED']
  const cells = rows.map((k) => [
    k.clientKeyId,
    k.description ?? '-',
    k.createdAt,
    k.revokedAt ?? '-',
  ])
  for (const line of table([header, ...cells])) out(line)
}

const revoke = async (args: readonly string[]): Promise<void> => {
  const { values, positionals } = parse(
    args,
    { company: { type: 'string' }, config: { type: 'string' } },
    1,
  )
  const id = positionals[0]
  if (id === undefined) throw new UsageError('agentkey revoke: CLIENT_KEY_ID is required')
  const companyName = required(values.company, '--company')
  const config = loadCliConfig(values.config)
  const revoked = await withRuntime(config, async (runtime) => {
    const found = await companyNamed(runtime, companyName)
    return runtime.services.agentKeys.revoke(cliContext(found.id), id)
  })
  out(`clientKeyId: ${revoked.id}`)
  out(`revokedAt: ${isoOrNull(revoked.revokedAt)}`)
}

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { type ApiKey, isRole, ROLES } from '@tokendesk/core'
import { dataDirOf, writeKeyFile } from '@tokendesk/server'
import { cliContext, companyNamed, loadCliConfig, withRuntime } from '../local.js'
import { isoOrNull, out, table } from '../output.js'
import { CliError, parse, required, UsageError } from '../usage.js'

/**
 * `tokendesk apikey create|list|revoke`. A key file is the only copy of its private key: it is
 * written once with mode 0600, never over an existing file, and never printed.
 */
export const apikey = async (args: readonly string[]): Promise<void> => {
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
        action ? `unknown command 'apikey ${action}'` : 'apikey: missing command',
      )
  }
}

const create = async (args: readonly string[]): Promise<void> => {
  const { values } = parse(args, {
    company: { type: 'string' },
    role: { type: 'string' },
    description: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string' },
  })
  const companyName = required(values.company, '--company')
  const role = required(values.role, '--role')
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`)
  const config = loadCliConfig(values.config)
  const pathOf = keyFilePathOf(values.out, dataDirOf(config))
  await withRuntime(config, async (runtime) => {
    const found = await companyNamed(runtime, companyName)
    const ctx = cliContext(found.id)
    const { key, file } = await runtime.services.apiKeys.create(ctx, {
      role,
      description: values.description ?? null,
    })
    const path = pathOf(key.accessId)
    try {
      writeKeyFile(path, file)
    } catch (error) {
      // Nobody holds the private key: a key that cannot be used must not stay active.
      await runtime.services.apiKeys.revoke(ctx, key.accessId)
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
      throw new CliError(`cannot write ${path} (${reason}); the new key was revoked`)
    }
    out(`accessID: ${key.accessId}`)
    out(`keyFile: ${path}`)
  })
}

/**
 * Where the key file goes: `--out`, which must not exist yet (checked before the key is created,
 * so that a refusal leaves nothing behind), else `keys/<accessID>.key` beside the SQLite
 * database, like the first-start key.
 */
const keyFilePathOf = (
  outFlag: string | undefined,
  dataDir: string | undefined,
): ((accessId: string) => string) => {
  if (outFlag === undefined) {
    if (dataDir === undefined) {
      throw new UsageError('--out is required unless the database is a SQLite file')
    }
    return (accessId) => resolve(dataDir, 'keys', `${accessId}.key`)
  }
  const path = resolve(outFlag)
  if (existsSync(path)) throw new CliError(`${path} already exists; refusing to overwrite it`)
  return () => path
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
    return runtime.services.apiKeys.list(cliContext(found.id))
  })
  const rows = keys.map(view)
  if (values.json) {
    out(JSON.stringify(rows, null, 2))
    return
  }
  const header = ['ACCESS ID', 'ROLE', 'DESCRIPTION', 'CREATED', 'LAST USED', 'REVOKED']
  const cells = rows.map((k) => [
    k.accessID,
    k.role,
    k.description ?? '-',
    k.createdAt,
    k.lastUsedAt ?? '-',
    k.revokedAt ?? '-',
  ])
  for (const line of table([header, ...cells])) out(line)
}

const revoke = async (args: readonly string[]): Promise<void> => {
  const { values, positionals } = parse(args, { config: { type: 'string' } }, 1)
  const accessId = positionals[0]
  if (accessId === undefined) throw new UsageError('apikey revoke: ACCESS_ID is required')
  const config = loadCliConfig(values.config)
  const revoked = await withRuntime(config, async (runtime) => {
    const key = await runtime.store.read.apiKeys.findByAccessId(accessId)
    if (!key) throw new CliError(`API key ${accessId} not found`)
    return runtime.services.apiKeys.revoke(cliContext(key.companyId), accessId)
  })
  out(`accessID: ${revoked.accessId}`)
  out(`revokedAt: ${isoOrNull(revoked.revokedAt)}`)
}

/** What `list` shows of a key: never the public key, timestamps as ISO-8601. */
const view = (key: ApiKey) => ({
  accessID: key.accessId,
  role: key.role,
  description: key.description,
  createdAt: new Date(key.createdAt).toISOString(),
  lastUsedAt: isoOrNull(key.lastUsedAt),
  revokedAt: isoOrNull(key.revokedAt),
})

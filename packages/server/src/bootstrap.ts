import { join } from 'node:path'
import { SYSTEM_ACTOR } from '@tokendesk/core'
import { writeKeyFile } from './key-file.js'
import type { Runtime } from './runtime.js'
import { dataDirOf } from './secret-key.js'

export interface BootstrapResult {
  companyId: string
  accessId: string
  keyFilePath: string
}

/**
 * First start on an empty SQLite database (operations.md, Quick start): creates the `Default`
 * company and its first SUPER_ADMIN key, written to `keys/<accessID>.key` beside the database.
 * A database that has a company is left alone; PostgreSQL is never bootstrapped implicitly.
 */
export const bootstrapIfEmpty = async (runtime: Runtime): Promise<BootstrapResult | undefined> => {
  const dataDir = dataDirOf(runtime.config)
  if (runtime.store.engine !== 'sqlite' || dataDir === undefined) return undefined
  if ((await runtime.store.read.companies.count()) > 0) return undefined
  const { services } = runtime
  const company = await services.companies.create('Default', SYSTEM_ACTOR)
  const { key, file } = await services.apiKeys.create(
    {
      companyId: company.id,
      actor: SYSTEM_ACTOR,
      requestId: null,
      sourceIp: null,
    },
    { role: 'SUPER_ADMIN', description: 'created on first start' },
  )
  const keyFilePath = join(dataDir, 'keys', `${key.accessId}.key`)
  writeKeyFile(keyFilePath, file)
  return { companyId: company.id, accessId: key.accessId, keyFilePath }
}

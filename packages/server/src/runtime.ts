import {
  type Clock,
  createServices,
  type Random,
  type SecretBox,
  type Services,
  type Store,
} from '@tokendesk/core'
import { createSecretBox, createStore } from '@tokendesk/storage'
import { adminRestApiUrlOf } from './config/load.js'
import type { Config } from './config/schema.js'
import { cryptoRandom, rsaKeyPairs, systemClock } from './platform.js'
import { resolveSecretKey } from './secret-key.js'

/** Everything a process (server or CLI) needs, wired once: the composition root. */
export interface Runtime {
  config: Config
  store: Store
  services: Services
  clock: Clock
  random: Random
  secrets: SecretBox
  close(): Promise<void>
}

export interface RuntimeOptions {
  clock?: Clock
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean
}

export const createRuntime = async (
  config: Config,
  options: RuntimeOptions = {},
): Promise<Runtime> => {
  const secrets = createSecretBox(resolveSecretKey(config))
  const store = await createStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    migrate: options.migrate ?? true,
  })
  const clock = options.clock ?? systemClock
  const services = createServices({
    store,
    clock,
    random: cryptoRandom,
    secrets,
    keyPairs: rsaKeyPairs,
    adminRestApiUrl: adminRestApiUrlOf(config),
    maxActiveApiKeys: config.maxActiveApiKeys,
  })
  return {
    config,
    store,
    services,
    clock,
    random: cryptoRandom,
    secrets,
    close: () => store.close(),
  }
}

import { resolve } from 'node:path'
import {
  type Clock,
  createServices,
  type Random,
  type SecretBox,
  type Services,
  type Store,
} from '@tokendesk/core'
import { createSecretBox, createStore } from '@tokendesk/storage'
import { createFileSender } from './authn/outbox.js'
import { createWebhookSender } from './authn/webhook.js'
import { adminRestApiUrlOf, publicUrlOf } from './config/load.js'
import type { Config } from './config/schema.js'
import { cryptoRandom, rsaKeyPairs, systemClock } from './platform.js'
import { dataDirOf, resolveSecretKey } from './secret-key.js'

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
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    // Past the server's statement_timeout, a query the server never answers (a dead network,
    // a hung server) is abandoned by the client too: requests never hang past the bound.
    queryTimeoutMs: config.databaseStatementTimeoutMs + 1_000,
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
    auditRetentionDays: {
      admin: config.auditAdminRetentionDays,
      user: config.auditUserRetentionDays,
    },
    authnApiUrl: `${publicUrlOf(config)}/mfa/v1_1`,
    // SMS/voice codes: the signed webhook when configured, else the file outbox beside the
    // SQLite database (./data otherwise).
    sender:
      config.smsWebhookUrl !== undefined && config.smsWebhookSecret !== undefined
        ? createWebhookSender({ url: config.smsWebhookUrl, secret: config.smsWebhookSecret })
        : createFileSender(resolve(dataDirOf(config) ?? 'data', 'outbox.ndjson')),
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

import { resolve } from 'node:path'
import {
  type Clock,
  createServices,
  type OutOfBandSender,
  type Random,
  type SecretBox,
  type Services,
  type Store,
} from '@tokendesk/core'
import { createSecretBox, createStore } from '@tokendesk/storage'
import { createFileSender } from './authn/outbox.js'
import { createWebhookSender } from './authn/webhook.js'
import { adminRestApiUrlOf, ConfigError, publicUrlOf, smsDeliveryOf } from './config/load.js'
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

/**
 * SMS/voice codes (`smsDeliveryOf`): the signed webhook, or the file outbox beside the SQLite
 * database (./data otherwise).
 */
const senderOf = (config: Config): OutOfBandSender => {
  if (smsDeliveryOf(config) === 'file') {
    return createFileSender(resolve(dataDirOf(config) ?? 'data', 'outbox.ndjson'))
  }
  const { smsWebhookUrl: url, smsWebhookSecret: secret } = config
  if (url === undefined || secret === undefined) {
    // loadConfig reports this with every other problem; a hand-built config ends here.
    throw new ConfigError([
      'TOKENDESK_SMS_WEBHOOK_URL, TOKENDESK_SMS_WEBHOOK_SECRET: both required by the webhook delivery',
    ])
  }
  return createWebhookSender({ url, secret })
}

export const createRuntime = async (
  config: Config,
  options: RuntimeOptions = {},
): Promise<Runtime> => {
  const sender = senderOf(config)
  const store = await createStore(config.databaseUrl, {
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    // Past the server's statement_timeout, a query the server never answers (a dead network,
    // a hung server) is abandoned by the client too: requests never hang past the bound.
    queryTimeoutMs: config.databaseStatementTimeoutMs + 1_000,
    migrate: options.migrate ?? true,
  })
  let secrets: SecretBox
  try {
    // After the store: a missing SQLite secret file may be generated only for an empty database.
    const holdsData = async () => (await store.read.companies.count()) > 0
    secrets = createSecretBox(await resolveSecretKey(config, holdsData))
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
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
    sender,
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

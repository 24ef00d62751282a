import { startServer } from '@tokendesk/server'
import { explainStorageError, loadCliConfig } from '../local.js'
import { createLogger } from '../logger.js'
import { parse, UsageError } from '../usage.js'

const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/**
 * `tokendesk serve [--port N] [--host H] [--config FILE]`: runs until SIGTERM or SIGINT, then
 * stops accepting, finishes in-flight requests, closes the database and resolves. A second
 * signal while shutting down exits at once (status 1). Only the logger writes.
 */
export const serve = async (args: readonly string[]): Promise<void> => {
  const { values } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    config: { type: 'string' },
  })
  const overrides: { port?: number; host?: string } = {}
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65535) {
      throw new UsageError(`--port must be an integer from 0 to 65535, not '${values.port}'`)
    }
    overrides.port = Number(values.port)
  }
  if (values.host !== undefined) {
    if (values.host === '') throw new UsageError('--host must not be empty')
    overrides.host = values.host
  }
  const config = loadCliConfig(values.config, { overrides, servesHttp: true })
  const logger = createLogger(config)
  // Listening for signals before start: a stop requested during start-up still stops cleanly.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of SIGNALS) process.once(signal, () => resolve(signal))
  })
  const server = await startServer(config, { logger }).catch((error: unknown) => {
    throw explainStorageError(config, error)
  })
  logger.info({ url: server.url }, 'listening')
  const signal = await stop
  for (const other of SIGNALS) {
    process.once(other, () => {
      logger.warn({ signal: other }, 'second signal while shutting down: exiting now')
      process.exit(1)
    })
  }
  logger.info({ signal }, 'shutting down')
  await server.close()
  logger.info('stopped')
}

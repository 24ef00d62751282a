import type { Config } from '@tokendesk/server'
import { type DestinationStream, type Logger, pino } from 'pino'

/**
 * Secrets that must never reach a log line, wherever they appear: credentials in request
 * headers, private keys (key files), emergency codes, and anything called `secret`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["client-key"]',
  '*.clientKey',
  '*.otpauthUri',
  '*.smsWebhookSecret',
  '*.accessKey',
  '*.emergencyTokencode',
  '*.secret',
]

/** The process logger: JSON lines at `config.logLevel`, on stdout unless told otherwise. */
export const createLogger = (config: Config, destination?: DestinationStream): Logger => {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  }
  return destination ? pino(options, destination) : pino(options)
}

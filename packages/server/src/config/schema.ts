import { type Static, Type } from '@sinclair/typebox'

/**
 * The one configuration schema (operations.md, Configuration). The type is derived from it, so
 * the two cannot drift. Each setting names its environment variable; `docs/configuration.md`
 * describes the same list.
 */
export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', env: 'TOKENDESK_HOST' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, env: 'TOKENDESK_PORT' }),
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$',
        env: 'TOKENDESK_PUBLIC_URL',
        description: 'The URL clients use; default http://<host>:<port>.',
      }),
    ),
    databaseUrl: Type.String({
      pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
      default: 'sqlite:./data/tokendesk.db',
      env: 'TOKENDESK_DATABASE_URL',
    }),
    databasePoolSize: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 10,
      env: 'TOKENDESK_DATABASE_POOL_SIZE',
    }),
    databaseStatementTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 5000,
      env: 'TOKENDESK_DATABASE_STATEMENT_TIMEOUT_MS',
    }),
    databaseConnectTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 5000,
      env: 'TOKENDESK_DATABASE_CONNECT_TIMEOUT_MS',
    }),
    redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://.+', env: 'TOKENDESK_REDIS_URL' })),
    redisKeyPrefix: Type.String({
      pattern: '^[A-Za-z0-9:._-]{1,64}$',
      default: 'tokendesk:',
      env: 'TOKENDESK_REDIS_KEY_PREFIX',
    }),
    shutdownDelayMs: Type.Integer({
      minimum: 0,
      maximum: 600_000,
      default: 0,
      env: 'TOKENDESK_SHUTDOWN_DELAY_MS',
      description: 'After SIGTERM, how long /health/ready fails before the server stops accepting.',
    }),
    secretKey: Type.Optional(
      Type.String({
        minLength: 44,
        env: 'TOKENDESK_SECRET_KEY',
        description: 'Base64 of 32+ random bytes.',
      }),
    ),
    tlsCert: Type.Optional(Type.String({ minLength: 1, env: 'TOKENDESK_TLS_CERT' })),
    tlsKey: Type.Optional(Type.String({ minLength: 1, env: 'TOKENDESK_TLS_KEY' })),
    logLevel: Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', env: 'TOKENDESK_LOG_LEVEL' },
    ),
    authAudience: Type.Union([Type.Literal('lenient'), Type.Literal('strict')], {
      default: 'lenient',
      env: 'TOKENDESK_AUTH_AUDIENCE',
    }),
    maxActiveApiKeys: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      env: 'TOKENDESK_MAX_ACTIVE_API_KEYS',
    }),
    authFailuresPerMinute: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 10,
      env: 'TOKENDESK_AUTH_FAILURES_PER_MINUTE',
    }),
    smsDelivery: Type.Optional(
      Type.Union([Type.Literal('file'), Type.Literal('webhook')], {
        env: 'TOKENDESK_SMS_DELIVERY',
        description:
          'How SMS/voice codes leave: the file outbox or the signed webhook. Unset: the webhook ' +
          'when its URL is set, else the file (what deployments before this setting relied on).',
      }),
    ),
    smsWebhookUrl: Type.Optional(
      Type.String({
        pattern: '^https?://[^\\s]+$',
        env: 'TOKENDESK_SMS_WEBHOOK_URL',
        description: 'SMS/voice codes are POSTed here (signed); needed by the webhook delivery.',
      }),
    ),
    smsWebhookSecret: Type.Optional(
      Type.String({
        minLength: 32,
        env: 'TOKENDESK_SMS_WEBHOOK_SECRET',
        description: 'HMAC-SHA-256 key of the webhook signature; required with the URL.',
      }),
    ),
    auditAdminRetentionDays: Type.Integer({
      minimum: 1,
      maximum: 36_500,
      default: 90,
      env: 'TOKENDESK_AUDIT_ADMIN_RETENTION_DAYS',
      description: 'Days admin events are kept (the admin log export; RSA keeps 90).',
    }),
    auditUserRetentionDays: Type.Integer({
      minimum: 1,
      maximum: 36_500,
      default: 40,
      env: 'TOKENDESK_AUDIT_USER_RETENTION_DAYS',
      description: 'Days user events are kept (the user event log export; RSA keeps 40).',
    }),
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>

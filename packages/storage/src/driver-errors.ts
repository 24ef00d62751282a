import { DomainError, type ErrorCode } from '@tokendesk/core'

/**
 * The one place where driver errors become domain errors:
 * - unique violations of the constraints below → `COMPANY_EXISTS`, `USER_EXISTS`,
 *   `TOKEN_SERIAL_EXISTS` (SQLite names the columns, PostgreSQL the constraint, as named in
 *   `migrations/0001-initial.ts`);
 * - a database that cannot be reached or does not answer in time → `STORAGE_UNAVAILABLE`.
 * Anything else (including domain errors) is returned unchanged.
 */
export const mapDriverError = (error: unknown, context: { email?: string } = {}): unknown => {
  if (!(error instanceof Error) || error instanceof DomainError) return error
  const unique = uniqueViolation(error)
  if (unique !== undefined) {
    const message =
      unique === 'USER_EXISTS' && context.email !== undefined
        ? `User ${context.email} already exists`
        : undefined
    return new DomainError(unique, { cause: error, ...(message === undefined ? {} : { message }) })
  }
  if (isUnavailable(error)) return new DomainError('STORAGE_UNAVAILABLE', { cause: error })
  return error
}

const UNIQUE_CONSTRAINTS: readonly { sqlite: string; postgres: string; code: ErrorCode }[] = [
  { sqlite: 'companies.name', postgres: 'companies_name_key', code: 'COMPANY_EXISTS' },
  {
    sqlite: 'users.company_id, users.email_lower',
    postgres: 'users_company_email_key',
    code: 'USER_EXISTS',
  },
  {
    sqlite: 'tokens.company_id, tokens.serial',
    postgres: 'tokens_company_serial_key',
    code: 'TOKEN_SERIAL_EXISTS',
  },
]

const SQLITE_UNIQUE_PREFIX = 'UNIQUE constraint failed: '

const uniqueViolation = (error: Error): ErrorCode | undefined => {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = error.message.startsWith(SQLITE_UNIQUE_PREFIX)
      ? error.message.slice(SQLITE_UNIQUE_PREFIX.length)
      : undefined
    return UNIQUE_CONSTRAINTS.find((c) => c.sqlite === columns)?.code
  }
  if (code === '23505') return UNIQUE_CONSTRAINTS.find((c) => c.postgres === constraint)?.code
  return undefined
}

/** Socket-level failures to reach PostgreSQL. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
])

/**
 * SQLSTATEs of a server going away or refusing work: `08xxx` connection exceptions,
 * `57P01`–`57P03` shutdown / cannot connect now, `53300` too many connections,
 * `57014` statement timeout (query canceled).
 */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '57014'])

/**
 * pg reports connect timeouts, dropped connections and its client-side `query_timeout` as plain
 * errors without a code.
 */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/

const isUnavailable = (error: Error): boolean => {
  const { code } = error as { code?: unknown }
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || PG_UNAVAILABLE.has(code)) return true
    if (/^08[0-9A-Z]{3}$/.test(code)) return true
    // SQLite: another process held the write lock for longer than busy_timeout.
    if (code.startsWith('SQLITE_BUSY')) return true
  }
  if (PG_CONNECTION_MESSAGE.test(error.message)) return true
  // Node reports a refused connection to every address of a host as an AggregateError.
  return (
    error instanceof AggregateError &&
    error.errors.some((inner) => inner instanceof Error && isUnavailable(inner))
  )
}

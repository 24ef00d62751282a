/**
 * The single error catalog. Every failure that reaches a caller has a stable UPPER_SNAKE code
 * here; only the HTTP edge (`@tokendesk/server`, `http/error-status.ts`) maps codes to statuses.
 * A code, once shipped, is never renamed. `docs/errors.md` lists them (a test keeps it in step).
 */
export const ERRORS = {
  VALIDATION_FAILED: 'Invalid request body.',
  UNKNOWN_PROPERTY: 'Wrong number of properties in the request body.',
  UNKNOWN_QUERY_PARAMETER: 'Unknown query parameter.',
  MALFORMED_JSON: 'Malformed JSON request body.',
  INVALID_EXPIRATION: 'Invalid expiration date.',
  INVALID_USER_ID: 'Invalid User ID.',
  USER_DISABLED: 'User is disabled.',
  USER_NOT_FOUND: 'User not found',
  USER_EXISTS: 'A user with this email address already exists.',
  IMPORT_ROWS_INVALID: 'Nothing was imported: the file has invalid rows.',
  TOKEN_NOT_FOUND: 'Token not found',
  TOKEN_NOT_ASSIGNED_TO_USER: 'Cannot change a hardware token that is not assigned to this user.',
  TOKEN_ASSIGNED_ELSEWHERE: 'The hardware token is assigned to another user.',
  TOKEN_LIMIT_REACHED: 'The user already has the maximum number of hardware tokens.',
  TOKEN_SERIAL_EXISTS: 'Hardware tokens with these serial numbers already exist.',
  COMPANY_NOT_FOUND: 'Company not found',
  COMPANY_EXISTS: 'A company with this name already exists.',
  API_KEY_NOT_FOUND: 'API key not found',
  API_KEY_LIMIT_REACHED: 'The company already has the maximum number of active API keys.',
  AGENT_KEY_NOT_FOUND: 'Agent key not found',
  INVALID_CLIENT_KEY: 'Invalid client-key.',
  AUTHENTICATION_FAILED: 'Server failed to process provided access token',
  ROLE_FORBIDDEN: 'Not authorized to perform the request.',
  RATE_LIMITED: 'Too many requests.',
  PAYLOAD_TOO_LARGE: 'Request body is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type: send application/json.',
  ROUTE_NOT_FOUND: 'Not found.',
  METHOD_NOT_ALLOWED: 'Method not allowed.',
  UNLOCK_FAILED: 'An internal error occurred.',
  STORAGE_UNAVAILABLE: 'The service is temporarily unavailable.',
  INTERNAL_ERROR: 'An internal error occurred.',
} as const satisfies Record<string, string>

export type ErrorCode = keyof typeof ERRORS

/** A failure the caller can act on. `message` may be more specific than the catalog text. */
export class DomainError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'DomainError'
  readonly code: C
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: C,
    options?: { message?: string; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(options?.message ?? ERRORS[code], { cause: options?.cause })
    this.code = code
    this.details = options?.details
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError

export const userNotFound = (id: string): DomainError<'USER_NOT_FOUND'> =>
  new DomainError('USER_NOT_FOUND', { message: `User ${id} not found` })

export const tokenNotFound = (serial: string): DomainError<'TOKEN_NOT_FOUND'> =>
  new DomainError('TOKEN_NOT_FOUND', { message: `Token ${serial} not found` })

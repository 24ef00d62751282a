import type { ErrorCode } from '@tokendesk/core'

/**
 * The only place where domain codes become HTTP statuses. It must cover every code: a new code
 * without a status fails to compile.
 */
export const HTTP_STATUS = {
  VALIDATION_FAILED: 400,
  UNKNOWN_PROPERTY: 400,
  UNKNOWN_QUERY_PARAMETER: 400,
  MALFORMED_JSON: 400,
  INVALID_EXPIRATION: 400,
  INVALID_USER_ID: 400,
  USER_DISABLED: 400,
  USER_NOT_FOUND: 404,
  USER_EXISTS: 409,
  IMPORT_ROWS_INVALID: 400,
  TOKEN_NOT_FOUND: 404,
  TOKEN_NOT_ASSIGNED_TO_USER: 409,
  TOKEN_ASSIGNED_ELSEWHERE: 409,
  TOKEN_LIMIT_REACHED: 409,
  TOKEN_SERIAL_EXISTS: 409,
  COMPANY_NOT_FOUND: 404,
  COMPANY_EXISTS: 409,
  API_KEY_NOT_FOUND: 404,
  API_KEY_LIMIT_REACHED: 409,
  AGENT_KEY_NOT_FOUND: 404,
  INVALID_CLIENT_KEY: 401,
  AUTHENTICATION_FAILED: 403,
  ROLE_FORBIDDEN: 403,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNLOCK_FAILED: 500,
  STORAGE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const satisfies Record<
  ErrorCode,
  400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503
>

/** Headers every answer carries, whoever writes it (the app's hook, the framework handlers). */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const

/** Spring's `HttpStatus` names, as the RSA service writes them in `code`. */
export const REASON: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
}

/** The business error body: `{"code": "404 NOT_FOUND", "description": "…"}` (admin-api.md §4). */
export const errorBody = (status: number, description: string) => ({
  code: `${status} ${REASON[status] ?? 'INTERNAL_SERVER_ERROR'}`,
  description,
})

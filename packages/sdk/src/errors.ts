/** The REASON part of a business error's `code` (admin-api.md §4). */
export type ErrorReason =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL_SERVER_ERROR'
  | 'SERVICE_UNAVAILABLE'

/**
 * A non-success answer of the API.
 *
 * - Business errors (`{"code": "404 NOT_FOUND", "description": "User … not found"}`): `code` is
 *   that string, `reason` its REASON part, `description` the text.
 * - Authentication failures (the Spring-style `403` body `{timestamp, status, error, message,
 *   path}`): `authentication` is `true`, `code` is `"403 FORBIDDEN"`, `description` is the body's
 *   `message` (e.g. `Invalid audience: …`).
 * - Anything else (a proxy's HTML page…): `code` is built from the status, `description` from the
 *   status text.
 *
 * `body` is the parsed JSON body (a `500` from `unlockMethods` carries the lock state there).
 *
 * @example
 * ```ts
 * try {
 *   await client.lookupUser({ email: 'nobody@example.com' })
 * } catch (error) {
 *   if (error instanceof TokendeskApiError && error.status === 404) console.log(error.description)
 *   else throw error
 * }
 * ```
 */
export class TokendeskApiError extends Error {
  override readonly name = 'TokendeskApiError'
  /** The HTTP status. */
  readonly status: number
  /** `"<status> <REASON>"`, e.g. `"404 NOT_FOUND"`. */
  readonly code: string
  /** The REASON part of `code`, e.g. `"NOT_FOUND"`. */
  readonly reason: ErrorReason | (string & {})
  /** The server's explanation (`description`, or `message` of an authentication failure). */
  readonly description: string
  /** `true` for the Spring-style authentication failure body. */
  readonly authentication: boolean
  /** The `X-Request-Id` of the response, to quote to the server's operators. */
  readonly requestId: string | null
  /** The parsed body (`undefined` when it was not JSON). */
  readonly body: unknown

  constructor(init: {
    status: number
    code: string
    description: string
    authentication: boolean
    requestId: string | null
    body: unknown
  }) {
    super(`${init.code}: ${init.description}`)
    this.status = init.status
    this.code = init.code
    this.reason = init.code.replace(/^\d+\s*/, '')
    this.description = init.description
    this.authentication = init.authentication
    this.requestId = init.requestId
    this.body = init.body
  }
}

/**
 * The request did not complete within `timeoutMs` (per attempt). A request the caller aborts
 * through its own `signal` rejects with that signal's reason instead.
 *
 * @example
 * ```ts
 * const client = createClient({ keyFile, timeoutMs: 5_000 })
 * try {
 *   await client.lookupUser({ email: 'jane@example.com' })
 * } catch (error) {
 *   if (error instanceof TokendeskTimeoutError) console.log('the server is slow')
 * }
 * ```
 */
export class TokendeskTimeoutError extends Error {
  override readonly name = 'TokendeskTimeoutError'
  readonly timeoutMs: number
  constructor(timeoutMs: number) {
    super(`the request did not complete within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

const REASONS: Record<number, ErrorReason> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Builds the error of a non-success response from its status, body text and request id. */
export const apiErrorOf = (
  status: number,
  statusText: string,
  text: string,
  requestId: string | null,
): TokendeskApiError => {
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  const fallbackCode = `${status} ${REASONS[status] ?? (statusText.toUpperCase().replace(/\s+/g, '_') || 'ERROR')}`
  if (isRecord(body) && typeof body.code === 'string' && typeof body.description === 'string') {
    return new TokendeskApiError({
      status,
      code: body.code,
      description: body.description,
      authentication: false,
      requestId,
      body,
    })
  }
  if (isRecord(body) && typeof body.message === 'string' && typeof body.error === 'string') {
    return new TokendeskApiError({
      status,
      code: fallbackCode,
      description: body.message,
      authentication: status === 403,
      requestId,
      body,
    })
  }
  return new TokendeskApiError({
    status,
    code: fallbackCode,
    description: statusText || `HTTP ${status}`,
    authentication: false,
    requestId,
    body,
  })
}

import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { DomainError, ERRORS, type ErrorCode, isDomainError } from '@tokendesk/core'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody, HTTP_STATUS, SECURITY_HEADERS } from './error-status.js'

/**
 * The one place that renders errors (admin-api.md §3–§4):
 * - authentication failures: 403 with the Spring-style body RSA's service sends;
 * - `UNLOCK_FAILED`: 500 with the lock state read back (the documented exception);
 * - everything else: `{"code": "<status> <REASON>", "description": …}`, and a 5xx never tells
 *   what went wrong inside (the log does, under the request id).
 */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
}

/** One readable sentence for the first schema violation, e.g. `body.unlockMethods[0] must be one of: TOKEN, SMS`. */
const describeIssue = (
  context: string | undefined,
  issue: NonNullable<FastifyError['validation']>[number] | undefined,
): string => {
  if (!issue) return 'Invalid request.'
  const path = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
  const where = `${context ?? 'request'}${path}`
  const allowed = (issue.params as { allowedValues?: unknown[] }).allowedValues
  const what = allowed ? `must be one of: ${allowed.join(', ')}` : (issue.message ?? 'is invalid')
  return `Invalid request: ${where} ${what}.`
}

/** The media types a route names (`consumes`, or body schemas per media type), if it does. */
const mediaTypesOf = (request: FastifyRequest): string[] | undefined => {
  const schema = request.routeOptions.schema as
    | { consumes?: string[]; body?: { content?: Record<string, unknown> } }
    | undefined
  const content = schema?.body?.content
  return schema?.consumes ?? (content && Object.keys(content))
}

const toDomainError = (error: FastifyError, request: FastifyRequest): DomainError => {
  if (isDomainError(error)) return error
  if (error.validation) {
    const unknown = error.validation.find((issue) => issue.keyword === 'additionalProperties')
    if (unknown && error.validationContext === 'querystring') {
      const { additionalProperty } = unknown.params as { additionalProperty?: unknown }
      return new DomainError('UNKNOWN_QUERY_PARAMETER', {
        message: `Unknown query parameter: ${String(additionalProperty)}.`,
      })
    }
    if (unknown) return new DomainError('UNKNOWN_PROPERTY')
    const invalidBody = request.routeOptions.config.invalidBody
    if (invalidBody && error.validationContext === 'body') return new DomainError(invalidBody)
    return new DomainError('VALIDATION_FAILED', {
      message: describeIssue(error.validationContext, error.validation[0]),
    })
  }
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined
  // A route that takes other types than JSON (the imports) names them in its 415.
  const types = mapped === 'UNSUPPORTED_MEDIA_TYPE' ? mediaTypesOf(request) : undefined
  if (types) {
    return new DomainError('UNSUPPORTED_MEDIA_TYPE', {
      message: `Unsupported content type: send ${types.join(' or ')}.`,
    })
  }
  if (mapped) return new DomainError(mapped)
  if (error instanceof SyntaxError || error.statusCode === 400)
    return new DomainError('MALFORMED_JSON')
  if (error.statusCode === 413) return new DomainError('PAYLOAD_TOO_LARGE')
  if (error.statusCode === 415) return new DomainError('UNSUPPORTED_MEDIA_TYPE')
  return new DomainError('INTERNAL_ERROR', { cause: error })
}

export const sendAuthFailure = (
  reply: FastifyReply,
  request: FastifyRequest,
  message: string,
): FastifyReply =>
  reply
    .code(403)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send({
      timestamp: Date.now(),
      status: 403,
      error: 'Forbidden',
      message,
      path: request.url.split('?')[0],
    })

export const errorHandler = (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply => {
  const domainError = toDomainError(error, request)
  const status = HTTP_STATUS[domainError.code]
  if (domainError.code === 'AUTHENTICATION_FAILED') {
    return sendAuthFailure(reply, request, domainError.message)
  }
  if (status >= 500) {
    request.log.error({ err: domainError.cause ?? domainError }, 'request failed')
  }
  // A custom serializer leaves Content-Type unset: name it, as every documented response does.
  reply.type('application/json; charset=utf-8')
  if (domainError.code === 'UNLOCK_FAILED' && domainError.details?.state) {
    return reply.code(500).serializer(JSON.stringify).send(domainError.details.state)
  }
  if (status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1')
  // The database is unreachable: the pool retries on the next request, so a client may too.
  if (status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1')
  const description =
    status >= 500 && domainError.code !== 'STORAGE_UNAVAILABLE'
      ? ERRORS.INTERNAL_ERROR
      : domainError.message
  // [ext] user import: every bad row, machine-readable, beside the usual two keys.
  const rows = domainError.code === 'IMPORT_ROWS_INVALID' ? domainError.details?.errors : undefined
  return reply
    .code(status)
    .serializer(JSON.stringify)
    .send({ ...errorBody(status, description), ...(Array.isArray(rows) && { errors: rows }) })
}

/**
 * Errors the router raises before any route or hook runs (an undecodable URL such as `%E0%A4%A`,
 * an over-long parameter): the business body and the `X-Request-Id` header like every other
 * response, instead of Fastify's own `{"error","code","message","statusCode"}`.
 */
export const frameworkErrorHandler = (
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply => {
  const status =
    error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 400 : 500
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  return reply
    .code(status)
    .header('x-request-id', request.id)
    .headers(SECURITY_HEADERS)
    .type('application/json; charset=utf-8')
    .serializer(JSON.stringify)
    .send(errorBody(status, status === 400 ? 'Malformed request URL.' : ERRORS.INTERNAL_ERROR))
}

/** What the HTTP parser's errors answer, by Node's error code; anything else is a 400. */
const CLIENT_ERRORS: Record<string, { status: number; description: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, description: 'The request took too long to arrive.' },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    description: 'The request line and headers are over 16 KiB.',
  },
}
const MALFORMED_REQUEST = { status: 400, description: 'Malformed HTTP request.' }

const RAW_SECURITY_HEADERS = Object.entries(SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('')

/**
 * Requests Node's HTTP parser refuses before any route runs (a bad or conflicting
 * `Content-Length`, a NUL in the request line, headers over 16 KiB, a request past the timeout):
 * the business body too, with the headers every answer carries (a new `X-Request-Id`: the
 * request's own headers were never read), then the connection is closed (the stream can no
 * longer be trusted to be in step). The status line has the standard reason phrase (`400 Bad
 * Request`); only the body's `code` uses RSA's names (`400 BAD_REQUEST`).
 */
export const clientErrorHandler = (error: Error & { code?: string }, socket: Socket): void => {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { status, description } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED_REQUEST
  const body = JSON.stringify(errorBody(status, description))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${randomUUID()}\r\n` +
        RAW_SECURITY_HEADERS +
        'cache-control: no-store\r\n' +
        'connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy()
}

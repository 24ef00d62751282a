import { apiErrorOf, type TokendeskApiError, TokendeskTimeoutError } from './errors.js'

/**
 * How the client answers `429 Too Many Requests` (and `503` with `Retry-After`): the server did
 * not process the request, so it is safe to send again, whatever the method.
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number
  /** Never waits longer than this for one retry; a longer `Retry-After` throws at once (default 60 000). */
  maxDelayMs?: number
  /** Wait when the response has no `Retry-After` (default 1 000). */
  defaultDelayMs?: number
  /** Random extra wait, 0 to this many ms, so that parallel clients do not retry in step (default 250). */
  jitterMs?: number
}

export interface TransportOptions {
  baseUrl: string
  token: () => string
  fetch: typeof fetch
  timeoutMs: number
  retry: Required<RetryOptions> | false
  /** Waits before each request when the last response said the quota is spent (default true). */
  pace: boolean
  userAgent: string
  random: () => number
}

export interface RequestSpec {
  method: string
  /** Relative to the base URL, without a leading `/`. */
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  /** A raw body with its content type (imports); `body` is sent as JSON otherwise. */
  raw?: { contentType: string; text: string }
  signal?: AbortSignal | undefined
}

export interface Response<T> {
  status: number
  body: T
  requestId: string | null
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/** `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms; `null` when absent. */
export const retryAfterMs = (value: string | null, now: number): number | null => {
  if (value === null || value.trim() === '') return null
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** Parses a header as a non-negative number, or `null`. */
const numberHeader = (headers: Headers, name: string): number | null => {
  const value = headers.get(name)
  if (value === null || !/^\d+(\.\d+)?$/.test(value.trim())) return null
  return Number(value.trim())
}

/**
 * Sends requests: authentication, JSON, timeouts, cancellation, bounded retries of `429` and
 * pacing on the `RateLimit-*` headers (admin-api.md §5).
 */
export const createTransport = (options: TransportOptions) => {
  /** When the next request may go, after a response said `RateLimit-Remaining: 0`. */
  let notBefore = 0

  const pace = (headers: Headers): void => {
    if (!options.pace) return
    const remaining = numberHeader(headers, 'ratelimit-remaining')
    const reset = numberHeader(headers, 'ratelimit-reset')
    if (remaining !== 0 || reset === null) return
    // The quota comes back over `reset` seconds; with `limit` units, one unit takes reset/limit.
    // Waiting for one unit (not the whole reset) suits token buckets and costs little with
    // fixed windows, where a 429's Retry-After still governs.
    const limit = numberHeader(headers, 'ratelimit-limit')
    const waitMs = (reset * 1000) / (limit !== null && limit > 0 ? limit : 1)
    notBefore = Math.max(notBefore, Date.now() + Math.min(waitMs, 60_000))
  }

  const attempt = async (spec: RequestSpec): Promise<globalThis.Response> => {
    const url = new URL(spec.path, options.baseUrl)
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value))
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${options.token()}`,
      'user-agent': options.userAgent,
    }
    let body: string | undefined
    if (spec.raw) {
      headers['content-type'] = spec.raw.contentType
      body = spec.raw.text
    } else if (spec.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(spec.body)
    }
    const timeout = AbortSignal.timeout(options.timeoutMs)
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout
    try {
      const response = await options.fetch(url, {
        method: spec.method,
        headers,
        ...(body !== undefined && { body }),
        signal,
      })
      return response
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason
      if (timeout.aborted) throw new TokendeskTimeoutError(options.timeoutMs)
      throw error
    }
  }

  /** Reads the body within the same deadline as the request. */
  const readText = async (response: globalThis.Response, spec: RequestSpec): Promise<string> => {
    try {
      return await response.text()
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new TokendeskTimeoutError(options.timeoutMs)
      }
      throw error
    }
  }

  const send = async <T>(spec: RequestSpec): Promise<Response<T>> => {
    const retry = options.retry
    for (let retries = 0; ; retries += 1) {
      const wait = notBefore - Date.now()
      if (wait > 0) await sleep(wait, spec.signal)
      const response = await attempt(spec)
      pace(response.headers)
      const text = await readText(response, spec)
      const requestId = response.headers.get('x-request-id')
      if (response.ok) {
        return {
          status: response.status,
          body: (text === '' ? undefined : JSON.parse(text)) as T,
          requestId,
        }
      }
      const error: TokendeskApiError = apiErrorOf(
        response.status,
        response.statusText,
        text,
        requestId,
      )
      const after = retryAfterMs(response.headers.get('retry-after'), Date.now())
      const retriable = response.status === 429 || (response.status === 503 && after !== null)
      if (!retriable || retry === false || retries >= retry.maxRetries) throw error
      const base = after ?? retry.defaultDelayMs
      if (base > retry.maxDelayMs) throw error
      await sleep(base + Math.floor(options.random() * retry.jitterMs), spec.signal)
    }
  }

  return { send }
}

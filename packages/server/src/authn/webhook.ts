import { createHmac } from 'node:crypto'
import type { OutOfBandSender } from '@tokendesk/core'

/**
 * Webhook delivery of SMS and voice codes (authn-api.md "SMS and voice delivery"): an HTTP(S)
 * POST of `{"channel","to","message","userId","companyId","expiresAt"}`, signed so the gateway
 * can check it came from tokendesk and is fresh:
 *   `X-Tokendesk-Timestamp: <unix seconds>`
 *   `X-Tokendesk-Signature: sha256=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`
 * Retried with backoff on network errors, 429 and 5xx (3 tries: at once, +250 ms, +1 s); any
 * other answer fails at once. A failure reaches the agent as `DELIVERY_FAILED`.
 */
export interface WebhookOptions {
  url: string
  secret: string
  /** Per try (default 5 s). */
  timeoutMs?: number
  /** Waits before the 2nd and 3rd tries (tests shorten them). */
  backoffMs?: readonly number[]
  now?: () => number
}

export const signWebhook = (secret: string, timestamp: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const createWebhookSender = (options: WebhookOptions): OutOfBandSender => {
  const backoff = options.backoffMs ?? [250, 1000]
  const now = options.now ?? Date.now
  return {
    async send(message) {
      const body = JSON.stringify({
        channel: message.channel,
        to: message.to,
        message: message.message,
        userId: message.userId,
        companyId: message.companyId,
        expiresAt: new Date(message.expiresAt).toISOString(),
      })
      let lastError = 'not sent'
      for (let attempt = 0; attempt <= backoff.length; attempt++) {
        if (attempt > 0) await sleep(backoff[attempt - 1] ?? 0)
        const timestamp = String(Math.floor(now() / 1000))
        try {
          const response = await fetch(options.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-tokendesk-timestamp': timestamp,
              'x-tokendesk-signature': signWebhook(options.secret, timestamp, body),
            },
            body,
            signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
          })
          await response.body?.cancel()
          if (response.ok) return
          lastError = `HTTP ${response.status}`
          if (response.status !== 429 && response.status < 500) break
        } catch (error) {
          lastError = (error as Error).name
        }
      }
      // The message (and its code) never goes into the error.
      throw new Error(`webhook delivery failed: ${lastError}`)
    },
  }
}

import { createMemoryRateLimiter, type RateLimiter } from '../http/rate-limiter.js'

/**
 * What several nodes share beyond the database (operations.md, Scale-out): rate-limit buckets
 * and cache invalidations. With Redis (redis-coordination.ts, loaded only when configured) they
 * cross processes; without it they stay in-process.
 */
export type Invalidation =
  | { type: 'company-settings'; companyId: string }
  | { type: 'api-key-revoked'; accessId: string }
  /** Messages may have been missed (the subscription was down): drop every cached entry. */
  | { type: 'all' }

export interface Coordination {
  readonly rateLimiter: RateLimiter
  /** Tells every node (this one included) that cached state is stale. Never throws. */
  publish(event: Invalidation): void
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: Invalidation) => void): () => void
  /** Readiness detail: `ok`, or why the shared part is degraded (the service still works). */
  check(): Promise<string>
  close(): Promise<void>
}

/** In-process coordination: per-process buckets, invalidations reach this process only. */
export const createLocalCoordination = (rateLimiter = createMemoryRateLimiter()): Coordination => {
  const listeners = new Set<(event: Invalidation) => void>()
  return {
    rateLimiter,
    publish(event) {
      for (const listener of listeners) listener(event)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    check: async () => 'ok',
    close: async () => {},
  }
}

/** An invalidation received from another node, or undefined when the message is not one. */
export const parseInvalidation = (message: string): Invalidation | undefined => {
  try {
    const event = JSON.parse(message) as Partial<Record<string, unknown>>
    if (event.type === 'company-settings' && typeof event.companyId === 'string') {
      return { type: 'company-settings', companyId: event.companyId }
    }
    if (event.type === 'api-key-revoked' && typeof event.accessId === 'string') {
      return { type: 'api-key-revoked', accessId: event.accessId }
    }
    if (event.type === 'all') return { type: 'all' }
  } catch {
    // Not ours (another program on the channel): ignored.
  }
  return undefined
}

/**
 * Token buckets (admin-api.md §5): `rate` tokens per second refill a bucket of `burst` tokens;
 * each request takes one. This is the in-process implementation; a shared one (Redis) keeps the
 * same interface.
 */
export interface BucketRule {
  /** Tokens added per second. */
  rate: number
  burst: number
}

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Whole seconds until the bucket is full again. */
  resetSeconds: number
  /** Whole seconds (at least 1) until one token is available; meaningful when not allowed. */
  retryAfterSeconds: number
}

export interface RateLimiter {
  /** Takes one token from `key`'s bucket. Asynchronous: a shared implementation asks Redis. */
  consume(key: string, rule: BucketRule, now: number): Promise<RateDecision>
}

/** The decision once a bucket holds `tokens` (after refill, and after taking one if `allowed`). */
export const decisionOf = (rule: BucketRule, tokens: number, allowed: boolean): RateDecision => ({
  allowed,
  limit: rule.burst,
  remaining: Math.floor(tokens),
  resetSeconds: Math.ceil((rule.burst - tokens) / rule.rate),
  retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rule.rate)),
})

interface Bucket {
  tokens: number
  updatedAt: number
}

const SWEEP_THRESHOLD = 10_000

export const createMemoryRateLimiter = (): RateLimiter => {
  const buckets = new Map<string, Bucket>()

  const sweep = (now: number, rule: BucketRule) => {
    const fullAfterMs = (rule.burst / rule.rate) * 1000
    for (const [key, bucket] of buckets) {
      if (now - bucket.updatedAt >= fullAfterMs) buckets.delete(key)
    }
  }

  return {
    async consume(key, rule, now) {
      let bucket = buckets.get(key)
      if (!bucket) {
        if (buckets.size >= SWEEP_THRESHOLD) sweep(now, rule)
        bucket = { tokens: rule.burst, updatedAt: now }
        buckets.set(key, bucket)
      } else {
        const elapsed = Math.max(0, now - bucket.updatedAt) / 1000
        bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed * rule.rate)
        bucket.updatedAt = now
      }
      const allowed = bucket.tokens >= 1
      if (allowed) bucket.tokens -= 1
      return decisionOf(rule, bucket.tokens, allowed)
    },
  }
}

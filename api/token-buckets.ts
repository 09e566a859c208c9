// Token buckets keyed by principal, in this process's memory: `burst` requests at once, refilled at `perMinute`.
// Each API replica keeps its own, so N replicas admit up to N times the configured rate (docs/operations.md).
// Keys are authenticated principals, so there are never more buckets than principals in `api.tokens`.

interface Bucket {
  tokens: number;
  at: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: { perMinute: number; burst: number };
  private readonly perMs: number;

  constructor(rate: { perMinute: number; burst: number }) {
    this.rate = rate;
    this.perMs = rate.perMinute / 60_000;
  }

  /** Takes one token of `key`'s bucket, or says how long until one is back. */
  take(key: string, now = Date.now()): Take {
    const bucket = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    bucket.tokens = Math.min(this.rate.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / this.perMs) };
  }
}

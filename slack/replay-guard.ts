// A signed Slack request is accepted once: the signature covers timestamp and body, so a captured request sent
// again inside the timestamp window carries the same signature. Kept in memory per API replica, for the window.

export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

export class ReplayGuard {
  /** Signature -> the last moment (ms) its timestamp is inside the window; insertion order is roughly that order. */
  private readonly seen = new Map<string, number>();

  private readonly windowSeconds: number;
  private readonly capacity: number;

  constructor(windowSeconds: number, capacity: number) {
    this.windowSeconds = windowSeconds;
    this.capacity = capacity;
  }

  /**
   * Records a verified request's signature. `replayed`: seen within the window. `full`: `capacity` signatures
   * are still within it, so this one could not be remembered and is refused (fail closed) until some expire.
   */
  admit(signature: string, timestampSeconds: number, nowMs = Date.now()): ReplayVerdict {
    this.dropExpired(nowMs);
    const expiresAt = this.seen.get(signature);
    if (expiresAt !== undefined && expiresAt >= nowMs) return 'replayed';
    if (this.seen.size >= this.capacity) {
      // Timestamps within the window arrive out of order: a full sweep finds the expired ones the front missed.
      for (const [key, until] of this.seen) if (until < nowMs) this.seen.delete(key);
      if (this.seen.size >= this.capacity) return 'full';
    }
    // A timestamp up to the window ahead of the clock is accepted too: remember until it falls behind.
    this.seen.set(signature, (timestampSeconds + this.windowSeconds) * 1000);
    return 'fresh';
  }

  private dropExpired(nowMs: number): void {
    for (const [key, until] of this.seen) {
      if (until >= nowMs) return;
      this.seen.delete(key);
    }
  }
}

// Open event streams of this API replica, per principal and in total: each holds a connection and a long poll on
// Temporal for as long as the client stays, so both are bounded (`limits.streams`).
import type { LimitsConfig } from '../runtime/config.ts';
import type { Refusal } from './throttle.ts';

/** When a slot frees cannot be known (a stream lasts until its round ends or the client leaves): a short wait. */
const STREAM_RETRY_AFTER_MS = 5000;

export interface StreamSlot {
  /** Frees the slot, once the stream has ended. */
  release(): void;
}

export class StreamSlots {
  private total = 0;
  /** Only principals with an open stream: never more entries than open streams. */
  private readonly byPrincipal = new Map<string, number>();

  private readonly limits: LimitsConfig['streams'];

  constructor(limits: LimitsConfig['streams']) {
    this.limits = limits;
  }

  acquire(principal: string): StreamSlot | Refusal {
    const mine = this.byPrincipal.get(principal) ?? 0;
    if (mine >= this.limits.perPrincipal) {
      return {
        budget: 'stream',
        setting: 'limits.streams.perPrincipal',
        message: `Too many open event streams: limits.streams.perPrincipal allows ${this.limits.perPrincipal} per principal`,
        retryAfterMs: STREAM_RETRY_AFTER_MS,
      };
    }
    if (this.total >= this.limits.total) {
      return {
        budget: 'stream',
        setting: 'limits.streams.total',
        message: `Too many open event streams: limits.streams.total allows ${this.limits.total} on this API replica`,
        retryAfterMs: STREAM_RETRY_AFTER_MS,
      };
    }
    this.byPrincipal.set(principal, mine + 1);
    this.total += 1;
    return {
      release: () => {
        this.total -= 1;
        const left = (this.byPrincipal.get(principal) ?? 1) - 1;
        if (left > 0) this.byPrincipal.set(principal, left);
        else this.byPrincipal.delete(principal);
      },
    };
  }
}

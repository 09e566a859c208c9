// Per-principal request budgets: POST /v1/rounds draws on `limits.requests.start`, every other authenticated
// request on `limits.requests.read`, so a burst of starts never locks a principal out of reading and deciding.
import type { LimitsConfig } from '../runtime/config.ts';
import type { Refusal } from './throttle.ts';
import { TokenBuckets } from './token-buckets.ts';

type Rate = LimitsConfig['requests']['start'];

const describeRate = (rate: Rate) => `a burst of ${rate.burst}, then ${rate.perMinute} per minute`;

export class RequestBudgets {
  private readonly limits: LimitsConfig['requests'];
  private readonly start: TokenBuckets;
  private readonly read: TokenBuckets;

  constructor(limits: LimitsConfig['requests']) {
    this.limits = limits;
    this.start = new TokenBuckets(limits.start);
    this.read = new TokenBuckets(limits.read);
  }

  /** Takes a request of `principal` from its budget; the refusal when that budget is spent. */
  take(principal: string, method: string, route: string | undefined): Refusal | undefined {
    const starts = method === 'POST' && route === '/v1/rounds';
    const taken = (starts ? this.start : this.read).take(principal);
    if (taken.ok) return undefined;
    return starts
      ? {
          budget: 'start',
          setting: 'limits.requests.start',
          message: `Too many rounds started: limits.requests.start allows ${describeRate(this.limits.start)}`,
          retryAfterMs: taken.retryAfterMs,
        }
      : {
          budget: 'read',
          setting: 'limits.requests.read',
          message: `Too many requests: limits.requests.read allows ${describeRate(this.limits.read)}`,
          retryAfterMs: taken.retryAfterMs,
        };
  }
}

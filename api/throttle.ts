// The one answer to a request over a budget: 429, Retry-After in whole seconds (at least 1), the error body naming
// the budget and the setting that sets it, and a count in toolgate_api_throttled_total.
import type { FastifyReply } from 'fastify';
import { errorBody } from '../runtime/api-error.ts';
import type { ApiMetrics } from './metrics.ts';

/** What a request drew on: starting rounds, every other request, event streams, rounds of one codec request. */
export type Budget = 'start' | 'read' | 'stream' | 'codec';

export interface Refusal {
  budget: Budget;
  /** The configuration key that sets the budget, e.g. `limits.requests.start`. */
  setting: string;
  message: string;
  retryAfterMs: number;
}

function retryAfterSeconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000));
}

export function sendThrottled(reply: FastifyReply, metrics: ApiMetrics, principal: string, refusal: Refusal) {
  metrics.throttled.inc({ budget: refusal.budget, principal });
  const seconds = retryAfterSeconds(refusal.retryAfterMs);
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send(
      errorBody('rate_limited', `${refusal.message}; retry in ${seconds} s`, {
        budget: refusal.budget,
        setting: refusal.setting,
        retryAfterSeconds: seconds,
      }),
    );
}

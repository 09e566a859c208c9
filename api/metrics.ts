import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PendingTally } from './pending-approvals.ts';

export type ApiMetrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'toolgate_api_' });
  return {
    registry,
    requests: new Histogram({
      name: 'toolgate_api_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'toolgate_api_decisions_total',
      help: 'Approval decisions received over HTTP (the decision routes and MCP elicitation answers), by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'toolgate_api_event_streams_open',
      help: 'Open event streams',
      registers: [registry],
    }),
    pendingApprovals: new Gauge({
      name: 'toolgate_approvals_pending',
      help: 'Pending approvals in the namespace by server and tool, read from visibility at scrape (same on every replica)',
      labelNames: ['server', 'tool'] as const,
      registers: [registry],
    }),
    nextExpiry: new Gauge({
      name: 'toolgate_approval_next_expiry_seconds',
      help: 'Seconds until the first pending approval of a server and tool expires unanswered',
      labelNames: ['server', 'tool'] as const,
      registers: [registry],
    }),
    // Round limits and token quotas: principals are those of api.tokens, so the labels stay bounded.
    roundsRefused: new Counter({
      name: 'toolgate_api_rounds_refused_total',
      help: 'POST /v1/rounds refused by a limit, by reason (rounds, approvals, tokens) and principal',
      labelNames: ['reason', 'principal'] as const,
      registers: [registry],
    }),
    tokensRemaining: new Gauge({
      name: 'toolgate_api_tokens_remaining',
      help: 'LLM tokens a principal has left in the current quota period, as this replica last counted them',
      labelNames: ['principal'] as const,
      registers: [registry],
    }),
    // Request budgets and stream limits (api/throttle.ts). Principals are those of api.tokens: a bounded label.
    throttled: new Counter({
      name: 'toolgate_api_throttled_total',
      help: 'Requests refused over a limit, by budget (start, read, stream, codec) and principal',
      labelNames: ['budget', 'principal'] as const,
      registers: [registry],
    }),
    grantRequests: new Counter({
      name: 'toolgate_api_grant_requests_total',
      help: 'Remembered grants: decisions asking to remember, revocations, and refusals (grant_limit, grant_not_allowed)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

/** A decision's `result` label: whether it reached the round's history (or waits for a worker) or was refused. */
export function decisionResult(outcome: { queued?: boolean | undefined; applied?: boolean | undefined }): string {
  return outcome.queued ? 'queued' : outcome.applied ? 'applied' : 'not_applied';
}

/** What the grant routes and decisions record. */
export type GrantMetrics = Pick<ApiMetrics, 'grantRequests'>;

/** What round admission records. */
export type LimitMetrics = Pick<ApiMetrics, 'roundsRefused' | 'tokensRemaining'>;

/** The approval gauges, from what visibility says now. */
export function setPendingGauges(metrics: ApiMetrics, tallies: PendingTally[], now = Date.now()): void {
  metrics.pendingApprovals.reset();
  metrics.nextExpiry.reset();
  for (const { server, tool, count, soonestExpiry } of tallies) {
    metrics.pendingApprovals.set({ server, tool }, count);
    metrics.nextExpiry.set({ server, tool }, Math.max(0, (soonestExpiry - now) / 1000));
  }
}

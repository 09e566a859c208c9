import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
      help: 'Approval decisions received over HTTP, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    openStreams: new Gauge({
      name: 'toolgate_api_event_streams_open',
      help: 'Open event streams',
      registers: [registry],
    }),
  };
}

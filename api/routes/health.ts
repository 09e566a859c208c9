import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { ApiError } from '../../runtime/api-error.ts';
import { setPendingGauges, type ApiMetrics } from '../metrics.ts';
import { pendingTallies } from '../pending-approvals.ts';

const HEALTH_DEADLINE_MS = 2000;

/** `/metrics` is public unless `publicMetrics` is false; then it needs an admin, auditor or metrics principal. */
export function healthRoutes(context: ApiContext, metrics: ApiMetrics, publicMetrics: boolean): FastifyPluginAsyncZod {
  const tallies = pendingTallies(context);
  return async (app) => {
    app.get(
      '/healthz',
      { config: { public: true }, schema: { summary: 'Liveness and Temporal connectivity', tags: ['operations'] } },
      async (request, reply) => {
        try {
          await context.client.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () =>
            context.client.workflowService.getSystemInfo({}),
          );
          return { status: 'ok', temporal: 'ok' };
        } catch (error) {
          // Public: the cause (addresses, TLS details) goes to the log, the answer only says it is unreachable.
          request.log.warn({ err: error }, 'Temporal unreachable');
          return reply.code(503).send({ status: 'unavailable', temporal: 'unavailable' });
        }
      },
    );

    app.get(
      '/metrics',
      { config: { public: publicMetrics }, schema: { summary: 'Prometheus metrics', tags: ['operations'] } },
      async (request, reply) => {
        if (!publicMetrics && !context.access.mayScrapeMetrics(request.principal)) {
          throw new ApiError(403, 'not_allowed', 'Only admin, auditor and metrics principals may read /metrics');
        }
        setPendingGauges(metrics, await tallies());
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    );
  };
}

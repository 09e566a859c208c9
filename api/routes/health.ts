import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import type { ApiMetrics } from '../metrics.ts';

const HEALTH_DEADLINE_MS = 2000;

export function healthRoutes(context: ApiContext, metrics: ApiMetrics): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/healthz', { config: { public: true }, schema: { summary: 'Liveness and Temporal connectivity', tags: ['operations'] } }, async (_request, reply) => {
      try {
        await context.client.withDeadline(Date.now() + HEALTH_DEADLINE_MS, () => context.client.workflowService.getSystemInfo({}));
        return { status: 'ok', temporal: 'ok' };
      } catch (error) {
        return reply.code(503).send({ status: 'unavailable', temporal: (error as Error).message });
      }
    });

    app.get('/metrics', { config: { public: true }, schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
}

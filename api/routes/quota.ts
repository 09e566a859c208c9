import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { quotaReport } from '../quota-report.ts';
import { ErrorResponse, QuotaQuery, QuotaResponse } from '../../runtime/http-api.ts';

export function quotaRoutes(context: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/quota',
      {
        schema: {
          summary: "The caller's LLM tokens left this period, running rounds and pending approvals, with their limits",
          description:
            'Counted from Temporal, as POST /v1/rounds counts them before it starts a round (429 over a limit). ' +
            "Auditors and admins may read another principal's with ?principal=.",
          tags: ['quota'],
          querystring: QuotaQuery,
          response: { 200: QuotaResponse, 400: ErrorResponse, 403: ErrorResponse },
        },
      },
      async (request) => quotaReport(context, request.principal, request.query.principal),
    );
  };
}

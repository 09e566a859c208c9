import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { roundLinks } from '../../runtime/links.ts';
import { cancelRound, roundState, startRound } from '../rounds.ts';
import { LimitRefusal } from '../round-admission.ts';
import {
  CancelResponse,
  ErrorResponse,
  RoundIdParams,
  RoundResponse,
  StartRoundResponse,
  startRoundBody,
} from '../../runtime/http-api.ts';

export function roundRoutes(context: ApiContext, maxQueryChars: number): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/rounds',
      {
        schema: {
          summary: 'Start a query round (idempotent with idempotencyKey)',
          tags: ['rounds'],
          body: startRoundBody(maxQueryChars),
          response: {
            200: StartRoundResponse,
            201: StartRoundResponse,
            400: ErrorResponse,
            401: ErrorResponse,
            403: ErrorResponse,
            409: ErrorResponse,
            429: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const { roundId, created } = await startRound(context, request.principal, request.body, request.headers).catch(
          (error: unknown) => {
            // The error handler keeps headers set here: a refusal says when to try again.
            if (error instanceof LimitRefusal) reply.header('retry-after', String(error.retryAfterSeconds));
            throw error;
          },
        );
        const links = roundLinks(context.links, roundId);
        request.log.info({ roundId, created, requester: request.principal }, 'round started');
        return reply
          .code(created ? 201 : 200)
          .header('location', links.self)
          .send({ roundId, created, links });
      },
    );

    app.get(
      '/v1/rounds/:id',
      {
        schema: {
          summary: 'State of a round: status, steps, tool calls, approvals, answer',
          description:
            'Its requester, auditors and admins read the whole round. An approver who is none of them reads its query and ' +
            'the approvals they may decide (scope: approvals), nothing of its other calls or its answer.',
          tags: ['rounds'],
          params: RoundIdParams,
          response: { 200: RoundResponse, 404: ErrorResponse },
        },
      },
      async (request) => ({
        ...(await roundState(context, request.principal, request.params.id)),
        links: roundLinks(context.links, request.params.id),
      }),
    );

    app.delete(
      '/v1/rounds/:id',
      {
        schema: {
          summary:
            'Cancel a round (its requester or an admin): open approvals close as cancelled, running tool calls are cancelled',
          tags: ['rounds'],
          params: RoundIdParams,
          response: { 202: CancelResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
        },
      },
      async (request, reply) => {
        await cancelRound(context, request.principal, request.params.id);
        return reply.code(202).send({ roundId: request.params.id, status: 'cancelling' });
      },
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { ApiError } from '../../runtime/api-error.ts';
import { approvalView, decide } from '../decisions.ts';
import { decisionResult, type ApiMetrics } from '../metrics.ts';
import { listPendingApprovals } from '../pending-approvals.ts';
import {
  ApprovalIdParams,
  ApprovalListQuery,
  ApprovalListResponse,
  ApprovalResponse,
  DecisionBody,
  DecisionResponse,
  ErrorResponse,
} from '../../runtime/http-api.ts';

export function approvalRoutes(context: ApiContext, metrics: ApiMetrics): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/approvals',
      {
        schema: {
          summary:
            'Pending approvals the caller requested or may decide (auditors and admins: all), one visibility call per page',
          tags: ['approvals'],
          querystring: ApprovalListQuery,
          response: { 200: ApprovalListResponse, 400: ErrorResponse },
        },
      },
      async (request) => listPendingApprovals(context, request.principal, request.query),
    );

    app.get(
      '/v1/approvals/:approvalId',
      {
        schema: {
          summary:
            'One approval: every argument (secrets redacted by exact rule, invisible characters escaped), digest, flags, status and decision',
          tags: ['approvals'],
          params: ApprovalIdParams,
          response: { 200: ApprovalResponse, 404: ErrorResponse },
        },
      },
      async (request) => approvalView(context, request.params.approvalId, request.principal),
    );

    app.post(
      '/v1/approvals/:approvalId',
      {
        schema: {
          summary: 'Approve or reject a pending tool call',
          description:
            'argsDigest is required: the digest of the approval the approver reviewed. ' +
            'Answered by the round itself (a workflow update) and checked against what the round published (approver, ' +
            'digest, expiry): while no worker runs, that check refuses a bad decision and nothing is queued. When no worker answers within a few seconds the decision is signalled ' +
            'instead and the answer says queued: true; it is applied, or recorded as ignored, when a worker returns. ' +
            "Edit on approve: `decision: approve` with `arguments` runs that call instead of the model's; a refused edit is " +
            '422 invalid_edit (schema, depth, size) or 403 edit_not_allowed (editable: false, quorum, secrets, policy), with `reasons`. ' +
            'remember (approve only) asks the round to remember the approval as a grant once it closes approved ' +
            '(403 grant_not_allowed where policy forbids it or a quorum decides; 429 grant_limit when the requester ' +
            'holds approvals.grants.perRequester live grants).',
          tags: ['approvals'],
          params: ApprovalIdParams,
          body: DecisionBody,
          response: {
            202: DecisionResponse,
            400: ErrorResponse,
            403: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
            422: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const { channel, ...decision } = request.body;
        try {
          const outcome = await decide(
            context,
            request.params.approvalId,
            { id: request.principal, channel },
            decision,
          );
          metrics.decisions.inc({ result: decisionResult(outcome) });
          return reply.code(202).send(outcome);
        } catch (error) {
          metrics.decisions.inc({ result: error instanceof ApiError ? error.code : 'error' });
          throw error;
        }
      },
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { listGrants, revokeGrant } from '../grants.ts';
import {
  ErrorResponse,
  GrantIdParams,
  GrantListQuery,
  GrantListResponse,
  RevokeGrantResponse,
} from '../../runtime/http-api.ts';

export function grantRoutes(context: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/grants',
      {
        schema: {
          summary: "The caller's live remembered grants (auditors and admins: anyone's, with ?requester=)",
          description:
            "A grant approves the requester's later calls of one tool whose arguments it covers, until it expires, is " +
            'revoked, or the tool (input schema, annotations, policy, server config) changes. Read from the ' +
            "requester's grants workflow; 503 when no worker answers in time.",
          tags: ['grants'],
          querystring: GrantListQuery,
          response: { 200: GrantListResponse, 400: ErrorResponse, 403: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => listGrants(context, request.principal, request.query.requester),
    );

    app.delete(
      '/v1/grants/:grantId',
      {
        schema: {
          summary: 'Revoke a remembered grant: the requester, the approver who created it, or an admin',
          description:
            'Calls it covered ask a person again from now on. 404 to anyone else, as for a grant that does not exist.',
          tags: ['grants'],
          params: GrantIdParams,
          response: { 200: RevokeGrantResponse, 404: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => revokeGrant(context, request.principal, request.params.grantId),
    );
  };
}

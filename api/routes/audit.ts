import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../api-context.ts';
import { auditEntries, auditPage } from '../audit.ts';
import { AuditPage, AuditQuery } from '../../runtime/audit.ts';
import { ErrorResponse } from '../../runtime/http-api.ts';

export const NDJSON = 'application/x-ndjson';

export function auditRoutes(context: ApiContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/audit',
      {
        schema: {
          summary: 'The audit trail: every approval of the rounds the caller may read, each round a hash chain',
          description:
            'One entry per approval (open or closed) of the rounds the caller requested or may decide (auditors and ' +
            "admins: every round; an approver sees only the approvals they may decide), rebuilt from the rounds' " +
            'histories. Pages count rounds, newest first. With `Accept: application/x-ndjson` every page from ' +
            'pageToken on is streamed, one entry a line: the export `toolgate audit verify` checks offline.',
          tags: ['audit'],
          querystring: AuditQuery,
          response: { 200: AuditPage, 400: ErrorResponse },
        },
      },
      async (request, reply) => {
        if (!request.headers.accept?.includes(NDJSON)) return auditPage(context, request.principal, request.query);
        // The first page is read before the answer starts, so that a refusal still gets its status and JSON error.
        const first = await auditPage(context, request.principal, request.query);
        const { pageToken: _first, ...filter } = request.query;
        async function* lines() {
          for (const entry of first.entries) yield `${JSON.stringify(entry)}\n`;
          if (!first.nextPageToken) return;
          for await (const entry of auditEntries(context, request.principal, {
            ...filter,
            pageToken: first.nextPageToken,
          }))
            yield `${JSON.stringify(entry)}\n`;
        }
        // Fastify sends a stream as it is, past the serializer; the type provider knows only the JSON answer.
        return reply.type(NDJSON).send(Readable.from(lines()) as unknown as AuditPage);
      },
    );
  };
}

// The console's pages and forms under /ui. Every read and decision goes through the functions the HTTP API
// uses (access policy, approval view, pending approvals, submitDecision), so the console applies exactly its
// rules; the server's onRequest hook authenticates (session cookie or proxy header) and spends the principal's
// request budget as for a bearer token. Every form post but sign-in carries the session's CSRF token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../runtime/api-error.ts';
import { webUiLink } from '../../runtime/links.ts';
import { ApprovalIdParams, RoundIdParams } from '../../runtime/http-api.ts';
import type { ApiContext } from '../api-context.ts';
import type { Authenticator } from '../auth.ts';
import { approvalView, pendingApproval, submitDecision } from '../decisions.ts';
import type { ApiMetrics } from '../metrics.ts';
import { listPendingApprovals } from '../pending-approvals.ts';
import { listRounds, requesterRounds, type ListedRound } from '../requester-rounds.ts';
import { readableRound } from '../round-facts.ts';
import { roundState } from '../rounds.ts';
import type { StreamSlots } from '../stream-slots.ts';
import { isTemporalUnavailable, isWorkerTimeout } from '../temporal-errors.ts';
import type { ConsoleAuth } from './console-auth.ts';
import { liveRoutes } from './live-routes.ts';
import type { Reader } from './layout.ts';
import { approvalPage, confirmationReasons } from './pages/approval.ts';
import { durationText } from '../../workflows/shared/duration-text.ts';
import { approvalsPage, LISTED_APPROVALS } from './pages/approvals.ts';
import { roundPage } from './pages/round.ts';
import { roundsPage } from './pages/rounds.ts';
import { signInPage } from './pages/sign-in.ts';
import { statusPage } from './pages/status-page.ts';
import { SESSION_COOKIE } from './session-cookie.ts';

const LISTED_ROUNDS = 30;

const SignInBody = z.object({ token: z.string().min(1).max(1024) });
const Csrf = { _csrf: z.string().max(128).optional() };
const SignOutBody = z.object(Csrf);

/** The console's edit-and-approve text: a JSON object, or a 422 the page shows. */
function editedArguments(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(422, 'invalid_edit', `The edited arguments are not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ApiError(422, 'invalid_edit', 'The edited arguments must be a JSON object');
  return value as Record<string, unknown>;
}
const DecisionForm = z.object({
  ...Csrf,
  decision: z.enum(['approve', 'reject']),
  argsDigest: z.string().regex(/^[0-9a-f]{64}$/),
  previewDigest: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  reason: z
    .string()
    .max(2000)
    .transform((text) => text.trim() || undefined)
    .optional(),
  confirm: z.literal('yes').optional(),
  /** Edit and approve: the complete arguments as JSON text. */
  arguments: z.string().max(200_000).optional(),
  remember: z.literal('yes').optional(),
  rememberTtl: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 30m, 8h or 1d')
    .optional(),
});

export interface ConsoleOptions {
  context: ApiContext;
  auth: ConsoleAuth;
  authenticate: Authenticator;
  metrics: ApiMetrics;
  slots: StreamSlots | undefined;
}

/** A console page's reader: the session the server's hook found (a console route has one). */
export function readerOf(request: FastifyRequest, auth: ConsoleAuth): Reader {
  const session = request.consoleSession;
  if (!session) throw new ApiError(401, 'unauthorized', 'Sign in first');
  return {
    principal: session.principal,
    csrf: auth.cookies.csrfToken(session),
    viaProxy: session.sessionId === 'proxy',
  };
}

function sendPage(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

/** Set only when served over TLS (directly, or behind a TLS proxy that `api.publicUrl` names). */
function cookieAttributes(request: FastifyRequest, context: ApiContext): string {
  const tls = request.protocol === 'https' || context.links.apiUrl.startsWith('https:');
  return `Path=/ui; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`;
}

/** Sign-in has no session yet: a browser's fetch metadata says whether another site sent the form. */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

const STRICT_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function consoleRoutes(options: ConsoleOptions): FastifyPluginAsyncZod {
  const { context, auth, authenticate, metrics } = options;
  const consoleRoute = { config: { console: true }, schema: { hide: true } } as const;

  /** Refuses a form whose CSRF token is not this session's: nothing it asks for happens. */
  function checkCsrf(request: FastifyRequest, token: string | undefined): void {
    const session = request.consoleSession;
    if (!session || !auth.cookies.checkCsrf(session, token)) {
      throw new ApiError(403, 'csrf_refused', 'This form did not come from your console session; reload the page');
    }
  }

  async function roundQuery(principal: string, roundId: string): Promise<string | undefined> {
    // The query is context, not a condition: without a worker the page shows the approval without it.
    const state = await roundState(context, principal, roundId).catch(() => undefined);
    return state && 'query' in state ? state.query : undefined;
  }

  async function renderApproval(request: FastifyRequest, approvalId: string, error?: string): Promise<string> {
    const reader = readerOf(request, auth);
    const view = await approvalView(context, approvalId, reader.principal);
    return approvalPage(reader, {
      view,
      query: await roundQuery(reader.principal, view.roundId),
      webUiUrl: webUiLink(context.links, view.roundId),
      error,
      rememberTtl: durationText(Math.min(context.grants.defaultTtl, context.grants.maxTtl)),
    });
  }

  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.headers(STRICT_HEADERS);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
    app.setErrorHandler((error: Error & { validation?: unknown }, request, reply) => {
      const reader = request.consoleSession ? readerOf(request, auth) : undefined;
      if (error instanceof ApiError) {
        return sendPage(
          reply,
          error.status,
          statusPage(error.status === 404 ? 'Not found' : 'Refused', error.message, reader),
        );
      }
      if (error.validation) return sendPage(reply, 400, statusPage('Invalid request', error.message, reader));
      if (isTemporalUnavailable(error) || isWorkerTimeout(error)) {
        reply.header('retry-after', '2');
        return sendPage(reply, 503, statusPage('Unavailable', 'Temporal cannot be reached; try again shortly', reader));
      }
      request.log.error({ err: error, url: request.url }, 'console request failed');
      return sendPage(reply, 500, statusPage('Error', 'Internal error; see the server log', reader));
    });

    app.get('/ui', consoleRoute, async (_request, reply) => reply.redirect('/ui/approvals', 303));

    app.get('/ui/sign-in', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
      if (auth.identify(request)) return reply.redirect('/ui/approvals', 303);
      return sendPage(reply, 200, signInPage());
    });

    app.post(
      '/ui/sign-in',
      { config: { public: true }, schema: { hide: true, body: SignInBody } },
      async (request, reply) => {
        if (crossSite(request)) return sendPage(reply, 403, signInPage('Sign in from this page.'));
        const principal = authenticate(`Bearer ${request.body.token}`);
        if (!principal) return sendPage(reply, 401, signInPage('That is not a valid API token.'));
        const { value } = auth.cookies.issue(principal);
        const maxAge = Math.floor(auth.cookies.ttlMs / 1000);
        return reply
          .header('set-cookie', `${SESSION_COOKIE}=${value}; ${cookieAttributes(request, context)}; Max-Age=${maxAge}`)
          .redirect('/ui/approvals', 303);
      },
    );

    app.post('/ui/sign-out', { ...consoleRoute, schema: { hide: true, body: SignOutBody } }, async (request, reply) => {
      checkCsrf(request, request.body._csrf);
      return reply
        .header('set-cookie', `${SESSION_COOKIE}=; ${cookieAttributes(request, context)}; Max-Age=0`)
        .redirect('/ui/sign-in', 303);
    });

    app.get('/ui/approvals', consoleRoute, async (request, reply) => {
      const reader = readerOf(request, auth);
      const page = await listPendingApprovals(context, reader.principal, {
        mine: 'decide',
        pageSize: LISTED_APPROVALS,
      });
      return sendPage(reply, 200, approvalsPage(reader, page.approvals));
    });

    app.get(
      '/ui/approvals/:approvalId',
      { ...consoleRoute, schema: { hide: true, params: ApprovalIdParams } },
      async (request, reply) => sendPage(reply, 200, await renderApproval(request, request.params.approvalId)),
    );

    app.post(
      '/ui/approvals/:approvalId/decision',
      { ...consoleRoute, schema: { hide: true, params: ApprovalIdParams, body: DecisionForm } },
      async (request, reply) => {
        checkCsrf(request, request.body._csrf);
        const { approvalId } = request.params;
        const { decision, argsDigest, previewDigest, reason, confirm, remember, rememberTtl } = request.body;
        const edited = request.body.arguments;
        const principal = request.principal;
        try {
          const { facts, pending } = await pendingApproval(context, approvalId, principal);
          if (decision === 'approve' && confirmationReasons(pending).length > 0 && confirm !== 'yes') {
            throw new ApiError(400, 'confirmation_required', 'Confirm that you read every argument and the warnings');
          }
          const outcome = await submitDecision(
            context,
            facts.roundId,
            pending,
            { id: principal, channel: 'web' },
            {
              decision,
              argsDigest,
              ...(previewDigest === undefined ? {} : { previewDigest }),
              ...(reason === undefined ? {} : { reason }),
              ...(edited === undefined ? {} : { arguments: editedArguments(edited) }),
              ...(remember === 'yes' && decision === 'approve'
                ? { remember: { ttl: rememberTtl ?? context.grants.defaultTtl } }
                : {}),
            },
          );
          metrics.decisions.inc({ result: outcome.queued ? 'queued' : outcome.applied ? 'applied' : 'not_applied' });
          return reply.redirect(`/ui/approvals/${encodeURIComponent(approvalId)}`, 303);
        } catch (error) {
          metrics.decisions.inc({ result: error instanceof ApiError ? error.code : 'error' });
          // A refusal the reader may learn of is shown on the approval; a 404 stays a 404.
          if (!(error instanceof ApiError) || error.status === 404) throw error;
          return sendPage(reply, error.status, await renderApproval(request, approvalId, error.message));
        }
      },
    );

    app.get('/ui/rounds', consoleRoute, async (request, reply) => {
      const reader = readerOf(request, auth);
      const rounds: ListedRound[] = [];
      for await (const round of listRounds(context, requesterRounds(context, reader.principal), LISTED_ROUNDS)) {
        rounds.push(round);
        if (rounds.length >= LISTED_ROUNDS) break;
      }
      return sendPage(reply, 200, roundsPage(reader, rounds));
    });

    app.get(
      '/ui/rounds/:id',
      { ...consoleRoute, schema: { hide: true, params: RoundIdParams } },
      async (request, reply) => {
        const reader = readerOf(request, auth);
        const round = await readableRound(context, reader.principal, request.params.id);
        return sendPage(
          reply,
          200,
          roundPage(reader, {
            roundId: round.roundId,
            status: round.status ?? round.executionStatus,
            query: await roundQuery(reader.principal, round.roundId),
            webUiUrl: webUiLink(context.links, round.roundId),
          }),
        );
      },
    );

    await app.register(liveRoutes({ context, metrics, slots: options.slots, consoleRoute }));
  };
}

// The HTTP API: Fastify with zod-validated inputs, bearer auth, JSON errors and a generated OpenAPI document.
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { ApiError, errorBody } from '../runtime/api-error.ts';
import { ErrorResponse } from '../runtime/http-api.ts';
import type { LimitsConfig } from '../runtime/config.ts';
import type { ApiContext } from './api-context.ts';
import type { Authenticator } from './auth.ts';
import type { ApiMetrics } from './metrics.ts';
import { isTemporalUnavailable, isWorkerTimeout } from './temporal-errors.ts';

/** Seconds a client should wait before retrying a 503: Temporal or the workers are coming back. */
const RETRY_AFTER_SECONDS = 2;
import type { EncryptionCodec } from '../runtime/payload-codec.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { auditRoutes } from './routes/audit.ts';
import { codecRoutes } from './routes/codec.ts';
import { grantRoutes } from './routes/grants.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { mcpRoutes } from './routes/mcp.ts';
import { GatewayCatalog } from './gateway-catalog.ts';
import { RequestBudgets } from './request-budgets.ts';
import { observeRequests } from './request-context.ts';
import { roundRoutes } from './routes/rounds.ts';
import { quotaRoutes } from './routes/quota.ts';
import { StreamSlots } from './stream-slots.ts';
import { sendThrottled } from './throttle.ts';
import { assetRoutes } from './ui/assets.ts';
import type { ConsoleAuth } from './ui/console-auth.ts';
import { consoleRoutes } from './ui/console-routes.ts';
import type { Session } from './ui/session-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: string;
    /** On console routes: the session (cookie or proxy header) that authenticated the request. */
    consoleSession: Session | null;
  }
  interface FastifyContextConfig {
    /** Served without a bearer token. */
    public?: boolean;
    /** A console route (/ui): authenticated by the console's session cookie or proxy header, not a bearer token. */
    console?: boolean;
  }
}

const BODY_LIMIT_BYTES = 256 * 1024;
const MAX_PARAM_LENGTH = 256;

export interface ApiServerOptions {
  context: ApiContext;
  authenticate: Authenticator;
  metrics: ApiMetrics;
  logger: Logger;
  maxQueryChars: number;
  /** Request budgets, event streams and codec rounds per request; `enabled: false` lifts them. */
  limits: LimitsConfig;
  /** false: /metrics needs a bearer token of an admin, auditor or metrics principal. */
  publicMetrics: boolean;
  /** POST /codec/decode for Temporal Web UI, when payloads are encrypted; CORS for these origins. */
  codec?: { codec: EncryptionCodec; allowedOrigins: string[] };
  /** POST /slack/events, when Slack is configured in HTTP mode. */
  slackRoutes?: FastifyPluginAsync;
  /** A span per request (tracing is on in this process). */
  traced?: boolean;
  /** The console at /ui (`api.ui.enabled`): who its sessions belong to. */
  console?: ConsoleAuth;
}

function validationMessage(error: FastifyError): string {
  const where = error.validationContext ?? 'request';
  return (error.validation ?? [])
    .map((issue) => `${where}${issue.instancePath.replace(/\//g, '.')}: ${issue.message ?? 'invalid'}`)
    .join('; ');
}

function toErrorReply(error: FastifyError): { status: number; body: ReturnType<typeof errorBody> } {
  if (error instanceof ApiError)
    return { status: error.status, body: errorBody(error.code, error.message, error.details) };
  if (error.validation) return { status: 400, body: errorBody('invalid_request', validationMessage(error)) };
  if (isTemporalUnavailable(error)) {
    return {
      status: 503,
      body: errorBody('temporal_unavailable', 'The Temporal service cannot be reached; try again shortly'),
    };
  }
  if (isWorkerTimeout(error)) {
    return {
      status: 503,
      body: errorBody('temporal_unavailable', 'The Temporal service did not answer in time; try again shortly'),
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: errorBody('invalid_json', 'The request body is not valid JSON') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: errorBody('invalid_json', 'The request body is empty') };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: errorBody('body_too_large', `The request body is larger than ${BODY_LIMIT_BYTES} bytes`),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: errorBody('unsupported_media_type', 'Send the request body as application/json') };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, body: errorBody('bad_request', error.message) };
  }
  return { status: 500, body: errorBody('internal', 'Internal error; see the server log') };
}

export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const { context, authenticate, metrics, limits } = options;
  const budgets = limits.enabled ? new RequestBudgets(limits.requests) : undefined;
  // Typed as Fastify's logger, so the instance is the plain FastifyInstance the routes are written for.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // Above the longest valid id (approval ids reach 160 characters); longer ones are answered 414 below.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Malformed URLs are refused by the router before any route runs: answer them in the API's error shape too.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply
        .code(tooLong ? 414 : 400)
        .send(
          errorBody(
            tooLong ? 'uri_too_long' : 'invalid_request',
            tooLong ? `A path parameter is longer than ${MAX_PARAM_LENGTH} characters` : 'The URL is malformed',
          ),
        );
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      info: { title: 'toolgate', version: '0.1.0', description: 'Durable, approval-gated executor of LLM tool calls' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  // Every authenticated route may answer 401 (no valid token) and 429 (a budget spent): the document says so.
  app.addHook('onRoute', (route) => {
    if (route.config?.public || !route.schema?.response) return;
    route.schema.response = { 401: ErrorResponse, 429: ErrorResponse, ...route.schema.response };
  });
  observeRequests(app, options.traced ?? false);
  app.decorateRequest('principal', '');
  app.decorateRequest('consoleSession', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public) return;
    if (request.routeOptions.config.console) {
      request.consoleSession = options.console?.identify(request) ?? null;
      if (!request.consoleSession) return reply.redirect('/ui/sign-in', 303);
    }
    const principal = request.consoleSession?.principal ?? authenticate(request.headers.authorization);
    if (!principal) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody('unauthorized', 'A valid bearer token is required (Authorization: Bearer <token>)'));
    }
    request.principal = principal;
    // After authentication, so a request without a valid token never spends anyone's budget; a console request
    // spends its principal's budget like a bearer one.
    const refusal = budgets?.take(principal, request.method, request.routeOptions.url);
    if (refusal) return sendThrottled(reply, metrics, principal, refusal);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = toErrorReply(error);
    if (status === 503) {
      request.log.warn({ code: body.error.code, url: request.url }, 'service unavailable');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    } else if (status >= 500) {
      request.log.error({ err: error, url: request.url }, 'request failed');
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes(context, metrics, options.publicMetrics));
  await app.register(roundRoutes(context, options.maxQueryChars));
  // One set of stream slots: the console's streams count with the API's own.
  const slots = limits.enabled ? new StreamSlots(limits.streams) : undefined;
  await app.register(eventRoutes(context, metrics, slots));
  await app.register(approvalRoutes(context, metrics));
  await app.register(auditRoutes(context));
  await app.register(quotaRoutes(context));
  await app.register(grantRoutes(context));
  await app.register(mcpRoutes(context, new GatewayCatalog(context), { metrics, slots }));
  if (options.codec) {
    const { codec, allowedOrigins } = options.codec;
    const maxRounds = limits.enabled ? limits.codecRoundsPerRequest : undefined;
    await app.register(codecRoutes(context, codec, allowedOrigins, metrics, maxRounds));
  }
  if (options.slackRoutes) await app.register(options.slackRoutes);
  if (options.console) {
    await app.register(assetRoutes());
    await app.register(consoleRoutes({ context, auth: options.console, authenticate, metrics, slots }));
  }
  return app;
}

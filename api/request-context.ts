// What a request is about, for whoever reads about it later: its log lines carry the round and approval it
// names and its trace id; with tracing on it runs inside a server span, parent of the Temporal calls it makes.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseApprovalId } from '../workflows/contract/ids.ts';

function idsOf(request: FastifyRequest): { roundId?: string; approvalId?: string } {
  const params = (request.params ?? {}) as Record<string, unknown>;
  if (typeof params.approvalId === 'string') {
    const roundId = parseApprovalId(params.approvalId)?.roundId;
    return { approvalId: params.approvalId, ...(roundId ? { roundId } : {}) };
  }
  return typeof params.id === 'string' ? { roundId: params.id } : {};
}

/** Binds round and approval ids to each request's logger; with `traced`, a span per request as well. */
export function observeRequests(app: FastifyInstance, traced: boolean): void {
  const tracer = trace.getTracer('toolgate-api');
  const spans = new WeakMap<FastifyRequest, { span: Span; context: Context }>();
  app.addHook('onRequest', (request, reply, done) => {
    const span = traced ? startRequestSpan(tracer, request) : undefined;
    const bindings = { ...idsOf(request), ...(span ? { traceId: span.spanContext().traceId } : {}) };
    if (Object.keys(bindings).length > 0) reply.log = request.log = request.log.child(bindings);
    if (!span) return done();
    const active = trace.setSpan(context.active(), span);
    spans.set(request, { span, context: active });
    context.with(active, done);
  });
  if (!traced) return;
  // The body is read on the socket's own async context: enter the span again right before the handler.
  app.addHook('preHandler', (request, _reply, done) => {
    const traced = spans.get(request);
    if (traced) context.with(traced.context, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const traced = spans.get(request);
    if (traced) {
      traced.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
      spans.delete(request);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    const traced = spans.get(request);
    if (traced) {
      traced.span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
      traced.span.end();
      spans.delete(request);
    }
    done();
  });
}

/** A server span named by the route template (bounded), child of the caller's `traceparent` if any. */
function startRequestSpan(tracer: Tracer, request: FastifyRequest): Span {
  const route = request.routeOptions.url ?? 'unmatched';
  return tracer.startSpan(
    `${request.method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': request.method,
        'http.route': route,
        'url.path': request.url.split('?')[0],
      },
    },
    propagation.extract(ROOT_CONTEXT, request.headers),
  );
}

// The MCP gateway on Streamable HTTP (/mcp, docs/gateway.md). Stateless: a Server and transport per request, so
// any replica answers any request. The API's onRequest hook has already authenticated the bearer token and spent
// the principal's request budget; each request's Server sees its principal and headers (credentials).
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ApiError } from '../../runtime/api-error.ts';
import type { ApiContext } from '../api-context.ts';
import { callThroughRound } from '../gateway-calls.ts';
import type { GatewayCatalog } from '../gateway-catalog.ts';
import { capabilityNote, noteOf } from '../gateway-client-capabilities.ts';
import { answerElicitation, askCaller, isElicitationAnswer } from '../gateway-elicitation.ts';
import { TemporalTaskStore } from '../gateway-tasks.ts';
import { awaitedTaskResult } from '../gateway-task-result.ts';
import { CallProgress } from '../gateway-keepalive.ts';
import { resumableCall, resumeCall } from '../gateway-resume.ts';
import { decisionResult, type ApiMetrics } from '../metrics.ts';
import type { StreamSlots } from '../stream-slots.ts';

const SERVER_INFO = { name: 'toolgate-gateway', version: '0.1.0' };

/** A tool the caller can never get run answers as the round answers a tool it does not know (no round starts). */
function notAvailable(name: string): CallToolResult {
  return {
    content: [{ type: 'text', text: `Tool '${name}' is not available.` }],
    isError: true,
    _meta: { 'toolgate/outcome': 'invalid' },
  };
}

function gatewayServer(
  context: ApiContext,
  catalog: GatewayCatalog,
  request: FastifyRequest,
  signal: AbortSignal,
  roundId?: string,
): Server {
  const caller = { principal: request.principal, headers: request.headers };
  const tasks = new TemporalTaskStore(context, caller, catalog);
  const server = new Server(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: false },
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    },
    instructions: 'Tools of the servers behind toolgate, named server__tool. Calls may wait for a human approval.',
    // tasks/get, tasks/result, tasks/list and tasks/cancel, answered from Temporal by any replica.
    taskStore: tasks,
  });
  // Sent on the tools/call's own SSE stream with an id of the gateway's: the answer comes as a new POST (any replica).
  const ask = (relatedRequestId: RequestId) =>
    askCaller(context, request.principal, noteOf(request.headers), (message) =>
      server.transport ? server.transport.send(message, { relatedRequestId }) : Promise.reject(new Error('closed')),
    );
  server.setRequestHandler(GetTaskPayloadRequestSchema, awaitedTaskResult(tasks));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await catalog.tools(request.principal)).map((tool) => ({
      ...tool,
      execution: { taskSupport: 'optional' as const },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (call, extra) => {
    const { params } = call;
    if (await catalog.hiddenFrom(params.name, request.principal).catch(() => false)) {
      if (params.task) throw new McpError(ErrorCode.InvalidParams, `Tool '${params.name}' is not available.`);
      return notAvailable(params.name);
    }
    // A task-aware client gets the task (its round) at once and follows it with tasks/*.
    if (params.task) return { task: await tasks.createTask(params.task, extra.requestId, call) };
    const progressToken = params._meta?.progressToken;
    // A listing that fails here is not the call's failure: the round lists every server instead.
    const server = await catalog.serverOf(params.name).catch(() => undefined);
    return callThroughRound(context, {
      principal: request.principal,
      headers: request.headers,
      name: params.name,
      ...(server ? { server } : {}),
      arguments: params.arguments ?? {},
      signal,
      onWait: ask(extra.requestId),
      ...(roundId ? { roundId } : {}),
      // Only to a client that asked for progress (and whose request timeout it may reset while a human decides).
      ...(progressToken === undefined
        ? {}
        : {
            progress: new CallProgress(progressToken, (notification) => extra.sendNotification(notification)).notify,
            keepAliveMs: context.gateway.keepAlive,
          }),
    });
  });
  return server;
}

const METHOD_NOT_ALLOWED = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this gateway is stateless (POST only)' },
  id: null,
};

export function mcpRoutes(
  context: ApiContext,
  catalog: GatewayCatalog,
  streams: { metrics: ApiMetrics; slots?: StreamSlots | undefined },
): FastifyPluginAsync {
  return async (app) => {
    app.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
      // The answer to an elicitation: decided here, whichever replica sent the form.
      if (isElicitationAnswer(request.body)) {
        try {
          const outcome = await answerElicitation(context, request.principal, request.body);
          if (outcome.decided) streams.metrics.decisions.inc({ result: decisionResult(outcome.decision) });
          return reply.code(202).send(outcome);
        } catch (error) {
          streams.metrics.decisions.inc({ result: error instanceof ApiError ? error.code : 'error' });
          throw error;
        }
      }
      // The client leaving ends the wait for its call, never the call's round.
      const left = new AbortController();
      // A task-less call's stream has event ids, so its client can resume it on any replica (GET below).
      const resumable = resumableCall(request.body);
      const server = gatewayServer(context, catalog, request, left.signal, resumable?.roundId);
      // Responses as SSE, so progress notifications reach the client before the result.
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        ...(resumable ? { eventStore: resumable.eventStore } : {}),
      });
      reply.hijack();
      const note = capabilityNote(request.body);
      if (note) reply.raw.setHeader('mcp-session-id', note);
      reply.raw.on('close', () => {
        left.abort();
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    });
    // No standalone SSE stream and no sessions to delete in stateless mode; a GET with Last-Event-ID resumes a call.
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: '/mcp',
        schema: { hide: true },
        handler: async (request, reply) => {
          const lastEventId = request.headers['last-event-id'];
          if (method === 'GET' && typeof lastEventId === 'string')
            return resumeCall(context, request, reply, lastEventId, {
              keepAliveMs: context.gateway.keepAlive,
              ...streams,
            });
          return reply.code(405).header('allow', 'POST').send(METHOD_NOT_ALLOWED);
        },
      });
    }
  };
}

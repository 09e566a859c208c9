import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

export interface RecordedToolCall {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  meta?: Record<string, unknown>;
  /** The request's Authorization header (HTTP only): whose credential the call ran with. */
  authorization?: string;
  /** The request's W3C traceparent header (HTTP only): the trace the call belongs to. */
  traceparent?: string;
  receivedAt: number;
}

type RequestExtra = {
  _meta?: Record<string, unknown>;
  requestInfo?: { headers: Record<string, string | string[] | undefined> };
};

const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** Exactly `chars` characters of numbered lines. */
function numberedLines(chars: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 1; length < chars; i++) {
    const line = `line ${i}\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('').slice(0, chars);
}

/** `fault` of write_record / read_record: what the HTTP server does after the call took effect. */
export const Fault = z.enum(['none', 'reset', '502']);

export function createTestMcpServer(options: {
  name: string;
  onCall?: (call: RecordedToolCall) => void;
  /** What the `crash` tool does after recording its call (the stdio server exits). */
  crash?: () => void;
}): McpServer {
  const server = new McpServer({ name: options.name, version: '1.0.0' });

  // Records before the tool does its work, so a call that later times out is still visible.
  const record = (tool: string, args: Record<string, unknown>, extra: RequestExtra) => {
    const authorization = extra.requestInfo?.headers.authorization;
    const traceparent = extra.requestInfo?.headers.traceparent;
    options.onCall?.({
      server: options.name,
      tool,
      arguments: args,
      ...(extra._meta ? { meta: extra._meta } : {}),
      ...(typeof authorization === 'string' ? { authorization } : {}),
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
      receivedAt: Date.now(),
    });
  };

  server.registerTool(
    'echo',
    {
      description: 'Echoes the message back',
      inputSchema: { message: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      record('echo', args, extra);
      return text(`echo: ${args.message}`);
    },
  );

  server.registerTool(
    'add',
    {
      description: 'Adds two numbers',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      record('add', args, extra);
      const sum = args.a + args.b;
      return { ...text(String(sum)), structuredContent: { sum } };
    },
  );

  server.registerTool(
    'delete_pod',
    {
      description: 'Deletes a pod',
      inputSchema: { namespace: z.string(), name: z.string() },
      annotations: { destructiveHint: true, readOnlyHint: false },
    },
    async (args, extra) => {
      record('delete_pod', args, extra);
      return text(`deleted pod ${args.namespace}/${args.name}`);
    },
  );

  server.registerTool(
    'scale_deployment',
    {
      description: 'Scales a deployment',
      inputSchema: { namespace: z.string(), name: z.string(), replicas: z.number() },
      annotations: { idempotentHint: true, destructiveHint: false },
    },
    async (args, extra) => {
      record('scale_deployment', args, extra);
      return text(`scaled deployment ${args.namespace}/${args.name} to ${args.replicas} replicas`);
    },
  );

  server.registerTool(
    'fail',
    {
      description: 'Always returns an error result',
      inputSchema: { reason: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      record('fail', args, extra);
      return { isError: true, content: [{ type: 'text', text: args.reason }] };
    },
  );

  const sleeper =
    (tool: string) => async (args: { ms: number }, extra: { _meta?: Record<string, unknown>; signal: AbortSignal }) => {
      record(tool, args, extra);
      // Stops sleeping when the client cancels, so no timers outlive a test.
      await sleep(args.ms, undefined, { signal: extra.signal });
      return text(`slept ${args.ms}`);
    };

  server.registerTool(
    'slow',
    {
      description: 'Sleeps, then returns (side-effecting, not idempotent)',
      inputSchema: { ms: z.number() },
      annotations: { readOnlyHint: false, idempotentHint: false },
    },
    sleeper('slow'),
  );

  server.registerTool(
    'slow_read',
    {
      description: 'Sleeps, then returns (read-only)',
      inputSchema: { ms: z.number() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    sleeper('slow_read'),
  );

  // Read-only but open world (MCP's default when openWorldHint is absent), as a real fetch or search tool is.
  server.registerTool(
    'fetch_url',
    {
      description: 'Pretends to fetch a URL and returns its address',
      inputSchema: { url: z.string() },
      annotations: { readOnlyHint: true },
    },
    async (args, extra) => {
      record('fetch_url', args, extra);
      return text(`fetched ${args.url}`);
    },
  );

  server.registerTool(
    'big_output',
    {
      description: 'Returns exactly `chars` characters of numbered lines',
      inputSchema: { chars: z.number().int().nonnegative() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      record('big_output', args, extra);
      return text(numberedLines(args.chars));
    },
  );

  // Writes and reads that take effect (are recorded) before the HTTP server breaks the exchange as `fault` says.
  for (const [tool, readOnly] of [
    ['write_record', false],
    ['read_record', true],
  ] as const) {
    server.registerTool(
      tool,
      {
        description: `Records a ${readOnly ? 'read' : 'write'}; fault makes the HTTP test server fail after it took effect`,
        inputSchema: { key: z.string(), fault: Fault.optional() },
        annotations: { readOnlyHint: readOnly, idempotentHint: false, openWorldHint: false },
      },
      async (args, extra) => {
        record(tool, args, extra);
        return text(`${tool} ${args.key}`);
      },
    );
  }

  server.registerTool(
    'strict_echo',
    {
      description: 'Echoes; the HTTP test server answers "reject…" with a JSON-RPC invalid-params error quoting it',
      inputSchema: { message: z.string() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      record('strict_echo', args, extra);
      return text(`echo: ${args.message}`);
    },
  );

  server.registerTool(
    'write_file',
    {
      description: 'Writes a file; its password and env values are marked secret in the input schema',
      inputSchema: {
        path: z.string(),
        content: z.string(),
        password: z.string().meta({ format: 'password' }).optional(),
        env: z.array(z.object({ name: z.string(), value: z.string().meta({ writeOnly: true }) })).optional(),
      },
      annotations: { destructiveHint: true, readOnlyHint: false },
    },
    async (args, extra) => {
      record('write_file', args, extra);
      return text(`wrote ${args.content.length} characters to ${args.path}`);
    },
  );

  server.registerTool(
    'crash',
    {
      description: 'Takes effect, then the server process dies before it answers',
      inputSchema: { key: z.string() },
      annotations: { readOnlyHint: false, idempotentHint: false },
    },
    async (args, extra) => {
      record('crash', args, extra);
      options.crash?.();
      return text(`crash ${args.key} survived`);
    },
  );

  return server;
}

interface ToolCallMessage {
  id: string | number;
  params: { name: string; arguments?: Record<string, unknown>; _meta?: Record<string, unknown> };
}

function asToolCall(body: unknown): ToolCallMessage | undefined {
  const message = body as { method?: unknown; id?: unknown; params?: { name?: unknown } } | null;
  if (message?.method !== 'tools/call' || typeof message.params?.name !== 'string') return undefined;
  return message as ToolCallMessage;
}

export interface HttpMcpServer {
  url: string;
  calls: RecordedToolCall[];
  /** Answers 404 to every session known so far (as a restarted server would); calls under way still finish. */
  forgetSessions(): void;
  close(): Promise<void>;
}

/** Streamable HTTP MCP server on /mcp; one McpServer + transport per session. */
export async function startHttpMcpServer(options: {
  name: string;
  port?: number;
  failWith?: () => number | undefined;
  /** Tool calls whose Authorization header this refuses are answered 401, as a server enforcing users' own tokens does. */
  authorize?: (authorization: string | undefined) => boolean;
}): Promise<HttpMcpServer> {
  const calls: RecordedToolCall[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const forgotten: StreamableHTTPServerTransport[] = [];

  const jsonRpcError = (res: ServerResponse, status: number, code: number, message: string, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp') return jsonRpcError(res, 404, -32601, `unknown path ${path}`);

    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
    const existing = sessionId ? sessions.get(sessionId) : undefined;

    if (req.method === 'POST') {
      const failure = options.failWith?.();
      if (failure !== undefined) {
        req.resume();
        const retry = failure === 429 || failure === 503 ? { 'retry-after': '1' } : {};
        return jsonRpcError(res, failure, -32000, `scripted failure ${failure}`, retry);
      }
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return jsonRpcError(res, 400, -32700, 'Parse error');
      }
      if (asToolCall(body) && options.authorize && !options.authorize(req.headers.authorization)) {
        return jsonRpcError(res, 401, -32001, 'the credential is missing or not valid for this user');
      }
      if (existing && injectFault(body, req, res)) return;
      if (existing) return existing.handleRequest(req, res, body);
      if (!sessionId && isInitializeRequest(body)) {
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, transport);
          },
        });
        transport.onclose = () => {
          if (transport.sessionId) sessions.delete(transport.sessionId);
        };
        await createTestMcpServer({ name: options.name, onCall: (call) => calls.push(call) }).connect(transport);
        return transport.handleRequest(req, res, body);
      }
    } else if ((req.method === 'GET' || req.method === 'DELETE') && existing) {
      return existing.handleRequest(req, res);
    } else if (req.method !== 'GET' && req.method !== 'DELETE') {
      res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
      return;
    }
    if (sessionId) return jsonRpcError(res, 404, -32001, 'Session not found');
    return jsonRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
  }

  /** Faults on the wire, after the call took effect (recorded) or instead of a result (a JSON-RPC error). */
  function injectFault(body: unknown, req: IncomingMessage, res: ServerResponse): boolean {
    const call = asToolCall(body);
    if (!call) return false;
    const args = call.params.arguments ?? {};
    const fault = Fault.safeParse(args.fault).data;
    if (
      (call.params.name === 'write_record' || call.params.name === 'read_record') &&
      (fault === 'reset' || fault === '502')
    ) {
      calls.push({
        server: options.name,
        tool: call.params.name,
        arguments: args,
        ...(call.params._meta ? { meta: call.params._meta } : {}),
        receivedAt: Date.now(),
      });
      if (fault === 'reset') req.socket.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway: the upstream answered too late');
      return true;
    }
    if (call.params.name === 'strict_echo' && String(args.message).startsWith('reject')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: call.id,
          error: { code: -32602, message: `Invalid params: message "${String(args.message)}" is not allowed` },
        }),
      );
      return true;
    }
    return false;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, String(error));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    forgetSessions() {
      forgotten.push(...sessions.values());
      sessions.clear();
    },
    async close() {
      await Promise.allSettled([...sessions.values(), ...forgotten].map((transport) => transport.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

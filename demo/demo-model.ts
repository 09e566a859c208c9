// An OpenAI-compatible endpoint around the demo planner, so `npm start` exercises the real OpenAI client path
// without an LLM account. It is a rule-based planner and says so.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson, writeCompletion } from './chat-completion-wire.ts';
import { writePacedCompletion } from './paced-stream.ts';
import { planReply } from './demo-planner.ts';
import type { PlanRequest } from './demo-planner.ts';

export const DEMO_MODEL_NAME = 'toolgate-demo';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface DemoModelOptions {
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

export interface DemoModel {
  baseURL: string;
  close(): Promise<void>;
}

class RequestError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function startDemoModel(options: DemoModelOptions = {}): Promise<DemoModel> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (error instanceof RequestError) sendError(res, error.status, error.code, error.message);
      else
        sendError(
          res,
          500,
          'internal_error',
          `demo model failed: ${error instanceof Error ? error.message : String(error)}`,
        );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseURL = `http://${urlHost(host)}:${port}/v1`;
  options.log?.(`demo model listening on ${baseURL} (rule-based planner, not an AI)`);

  return {
    baseURL,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/v1/models') {
    sendJson(res, 200, {
      object: 'list',
      data: [{ id: DEMO_MODEL_NAME, object: 'model', created: 0, owned_by: 'toolgate' }],
    });
    return;
  }
  if (req.method !== 'POST' || path !== '/v1/chat/completions') {
    sendError(res, 404, 'not_found', `Unknown path: ${req.method} ${path}`);
    return;
  }
  const body = parseRequest(await readBody(req));
  const plan = planReply(body as unknown as PlanRequest);
  const toolCalls = plan.toolCalls.map((call) => ({
    id: `call_${randomBytes(12).toString('hex')}`,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
  const answer = {
    id: `chatcmpl-demo-${randomBytes(12).toString('hex')}`,
    model: typeof body.model === 'string' ? body.model : DEMO_MODEL_NAME,
    content: plan.content,
    toolCalls,
    promptText: JSON.stringify(body.messages),
    includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
  if (body.stream === true) await writePacedCompletion(res, answer);
  else writeCompletion(res, { ...answer, stream: false });
}

function parseRequest(raw: string): Record<string, unknown> & { messages: unknown[] } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new RequestError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (!isRecord(body)) throw new RequestError(400, 'invalid_json', 'The request body must be a JSON object.');
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RequestError(
      400,
      'missing_required_parameter',
      "Missing required parameter: 'messages' (a non-empty array).",
    );
  }
  if (!messages.every((m) => isRecord(m) && typeof m.role === 'string')) {
    throw new RequestError(400, 'invalid_value', "Invalid 'messages': every message needs a string 'role'.");
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) {
    throw new RequestError(400, 'invalid_type', "Invalid 'tools': expected an array.");
  }
  return body as Record<string, unknown> & { messages: unknown[] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code } });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, 'request_too_large', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

if (import.meta.main) {
  const port = Number(process.env.PORT || 8300);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  const model = await startDemoModel({ port, log: (line) => console.log(line) });
  const stop = () => {
    void model.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

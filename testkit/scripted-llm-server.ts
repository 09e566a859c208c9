import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  STREAM_END,
  STREAM_HEADERS,
  completionChunks,
  sendJson,
  splitText,
  streamLine,
  writeCompletion,
  type CompletionAnswer,
} from '../demo/chat-completion-wire.ts';

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
  name?: string;
  [key: string]: unknown;
}

export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  tools?: unknown[];
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedLlmRequest {
  body: ChatRequestBody;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
  /** Streamed replies: when each content chunk was written (Date.now()), in order. */
  chunkTimes: number[];
}

/** How a streamed reply is sent (a request without `stream: true` gets the whole reply as JSON). */
export interface StreamPacing {
  /** The content in these pieces, or split into this many; one piece by default. */
  chunks?: string[] | number;
  /** Waited before each reasoning or content chunk but the first. */
  chunkDelayMs?: number;
  /** Reasoning text, streamed before the content as `delta.reasoning_content` (in as many pieces). */
  reasoning?: string;
  /** The connection is destroyed after this many content chunks: a stream that breaks mid-way. */
  breakAfter?: number;
}

export type LlmReply =
  | ({ content: string } & StreamPacing)
  | ({ toolCalls: Array<{ name: string; arguments: unknown; id?: string }>; content?: string } & StreamPacing)
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { delayMs: number; then: LlmReply };

export type LlmScript = (request: RecordedLlmRequest, index: number) => LlmReply | Promise<LlmReply>;

export interface ScriptedLlmServer {
  baseURL: string;
  requests: RecordedLlmRequest[];
  setScript(script: LlmScript): void;
  close(): Promise<void>;
}

/** Text of a message's content, whether a string or an array of content parts. */
export function messageText(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** Text of the first user message, or undefined when there is none. */
export function firstUserMessage(request: RecordedLlmRequest): string | undefined {
  const message = request.body.messages.find((m) => m.role === 'user');
  return message ? messageText(message) : undefined;
}

/** The run of `role: 'tool'` messages at the end of the conversation. */
export function lastToolMessages(request: RecordedLlmRequest): ChatMessage[] {
  const messages = request.body.messages;
  let start = messages.length;
  while (start > 0 && messages[start - 1]?.role === 'tool') start--;
  return messages.slice(start);
}

/** Replies in order by index, repeating the last one; a function is called when its turn comes. */
export function scriptedSteps(...replies: Array<LlmReply | (() => LlmReply | Promise<LlmReply>)>): LlmScript {
  if (replies.length === 0) throw new Error('scriptedSteps needs at least one reply');
  return (_request, index) => {
    const reply = replies[Math.min(index, replies.length - 1)]!;
    return typeof reply === 'function' ? reply() : reply;
  };
}

/**
 * Routes by the marker found in the first user message; each route gets its own index.
 * The longest matching key wins so that markers like `t-1` and `t-10` cannot collide.
 */
export function routeByMarker(routes: Record<string, LlmScript>): LlmScript {
  const counts = new Map<string, number>();
  return (request) => {
    const text = firstUserMessage(request) ?? '';
    const marker = Object.keys(routes)
      .filter((key) => text.includes(key))
      .sort((a, b) => b.length - a.length)[0];
    if (marker === undefined) {
      return errorReply(500, `no route matches first user message: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const index = counts.get(marker) ?? 0;
    counts.set(marker, index + 1);
    return routes[marker]!(request, index);
  };
}

function errorReply(status: number, message: string): LlmReply {
  return { status, body: { error: { message, type: 'scripted_error', code: null } } };
}

const noScript: LlmScript = () => errorReply(500, 'scripted LLM server has no script');

export async function startScriptedLlmServer(
  script?: LlmScript,
  options?: { port?: number },
): Promise<ScriptedLlmServer> {
  let current = script ?? noScript;
  const requests: RecordedLlmRequest[] = [];
  const closing = new AbortController();
  let nextCallId = 1;
  let nextCompletionId = 1;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      if (!res.headersSent) sendJson(res, 500, errorBody(String(error)));
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'scripted' }],
      });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(res, 404, errorBody(`unknown path ${req.method} ${path}`, 'not_found'));
      return;
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequestBody;
    } catch {
      sendJson(res, 400, errorBody('request body is not valid JSON'));
      return;
    }
    const recorded: RecordedLlmRequest = { body, headers: { ...req.headers }, receivedAt: Date.now(), chunkTimes: [] };
    const index = requests.push(recorded) - 1;
    let reply: LlmReply;
    try {
      reply = await current(recorded, index);
    } catch (error) {
      reply = errorReply(500, `script threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    while ('delayMs' in reply) {
      await sleep(reply.delayMs, undefined, { signal: closing.signal });
      reply = reply.then;
    }
    if ('status' in reply) {
      const payload = reply.body ?? errorBody(`scripted error ${reply.status}`);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      return;
    }
    const toolCalls =
      'toolCalls' in reply
        ? reply.toolCalls.map((call) => ({
            id: call.id ?? `call_${nextCallId++}`,
            type: 'function' as const,
            function: {
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            },
          }))
        : undefined;
    const content = reply.content ?? null;
    const pieces = reply.chunks ?? 1;
    const answer: CompletionAnswer = {
      id: `chatcmpl-scripted-${nextCompletionId++}`,
      model: body.model ?? 'scripted-model',
      content,
      toolCalls: toolCalls ?? [],
      promptText: JSON.stringify(body.messages),
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
      ...(content ? { contentChunks: typeof pieces === 'number' ? splitText(content, pieces) : pieces } : {}),
      ...(reply.reasoning ? { reasoning: splitText(reply.reasoning, typeof pieces === 'number' ? pieces : 1) } : {}),
    };
    if (answer.stream) await streamPaced(res, answer, reply, recorded.chunkTimes);
    else writeCompletion(res, answer);
  }

  /** Writes the chunks as they would come from a model: content paced by chunkDelayMs, each one's time recorded. */
  async function streamPaced(
    res: ServerResponse,
    answer: CompletionAnswer,
    pacing: StreamPacing,
    chunkTimes: number[],
  ): Promise<void> {
    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    let texts = 0;
    for (const chunk of completionChunks(answer)) {
      if (chunk.kind === 'content' && chunkTimes.length === pacing.breakAfter) {
        res.socket?.destroySoon(); // after what was written so far, without the end of the chunked body
        return;
      }
      if (chunk.kind !== 'other' && texts++ > 0 && pacing.chunkDelayMs)
        await sleep(pacing.chunkDelayMs, undefined, { signal: closing.signal });
      if (res.destroyed) return; // the client left
      if (chunk.kind === 'content') chunkTimes.push(Date.now());
      res.write(streamLine(chunk));
    }
    res.end(STREAM_END);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options?.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript(script) {
      current = script;
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function errorBody(message: string, code: string | null = null) {
  return { error: { message, type: 'invalid_request_error', code } };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

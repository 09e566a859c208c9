// A local server that speaks Slack's Web API format (POST /api/<method>, form or JSON bodies, {ok, ...}
// answers) and takes interaction replies on response URLs (POST /response/<id>). It records every call,
// keeps the posted messages as chat.update leaves them, and can answer ok:false, 503, or drop connections.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  /** A Web API method, or `response_url` for a reply to an interaction. */
  method: string;
  args: Record<string, any>;
  token?: string;
  /** The response URL's id, for `response_url` calls. */
  responseId?: string;
  answer?: Record<string, any>;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks: any[];
}

/** `up` answers; `unavailable` answers 503; `down` drops every connection unanswered. */
export type SlackMode = 'up' | 'unavailable' | 'down';

export interface FakeSlackApi {
  /** Base URL for WebClient's slackApiUrl. */
  apiUrl: string;
  responseUrl(id: string): string;
  calls: SlackCall[];
  /** Requests answered 503 or dropped. */
  refused: number;
  callsTo(method: string): SlackCall[];
  message(channel: string, ts: string): SlackMessage | undefined;
  /** The next call of `method` answers {ok: false, error}. */
  failNext(method: string, error: string): void;
  setMode(mode: SlackMode): void;
  waitForCall(method: string, predicate?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** WebClient sends forms whose structured values (blocks, view) are JSON strings. */
function parseArgs(text: string, contentType: string): Record<string, any> {
  if (contentType.startsWith('application/json')) return text ? (JSON.parse(text) as Record<string, any>) : {};
  const args: Record<string, any> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

export async function startFakeSlackApi(): Promise<FakeSlackApi> {
  const calls: SlackCall[] = [];
  const messages = new Map<string, SlackMessage>();
  const failures = new Map<string, string>();
  let mode: SlackMode = 'up';
  let refused = 0;
  let nextTs = 1;
  let nextView = 1;

  function answer(method: string, args: Record<string, any>): Record<string, any> {
    const failure = failures.get(method);
    if (failure) {
      failures.delete(method);
      return { ok: false, error: failure };
    }
    switch (method) {
      case 'chat.postMessage': {
        const ts = `${Math.floor(Date.now() / 1000)}.${String(nextTs++).padStart(6, '0')}`;
        const message = { channel: args.channel, ts, text: args.text, blocks: args.blocks ?? [] };
        messages.set(`${args.channel}/${ts}`, message);
        return {
          ok: true,
          channel: args.channel,
          ts,
          message: { type: 'message', text: args.text, blocks: message.blocks, ts },
        };
      }
      case 'chat.update': {
        const existing = messages.get(`${args.channel}/${args.ts}`);
        if (!existing) return { ok: false, error: 'message_not_found' };
        Object.assign(existing, { text: args.text, blocks: args.blocks ?? [] });
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      }
      case 'views.open':
        return { ok: true, view: { ...args.view, id: `V${nextView++}` } };
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' };
      default:
        return { ok: true };
    }
  }

  const server = createServer((request, response) => {
    if (mode === 'down') {
      refused++;
      request.socket.destroy();
      return;
    }
    void readBody(request).then((text) => {
      if (mode === 'unavailable') {
        refused++;
        response.writeHead(503, { 'content-type': 'text/plain' }).end('service unavailable');
        return;
      }
      const path = (request.url ?? '/').split('?')[0]!;
      const contentType = request.headers['content-type'] ?? '';
      const send = (status: number, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (path.startsWith('/response/')) {
        calls.push({
          method: 'response_url',
          args: parseArgs(text, contentType),
          responseId: decodeURIComponent(path.slice('/response/'.length)),
        });
        return send(200, { ok: true });
      }
      if (!path.startsWith('/api/')) return send(404, { ok: false, error: 'unknown_path' });
      const method = path.slice('/api/'.length);
      const args = parseArgs(text, contentType);
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? args.token;
      const call: SlackCall = { method, args, ...(token ? { token } : {}) };
      calls.push(call);
      call.answer = answer(method, args);
      send(200, call.answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${encodeURIComponent(id)}`,
    calls,
    get refused() {
      return refused;
    },
    callsTo: (method) => calls.filter((call) => call.method === method),
    message: (channel, ts) => messages.get(`${channel}/${ts}`),
    failNext(method, error) {
      failures.set(method, error);
    },
    setMode(next) {
      mode = next;
    },
    async waitForCall(method, predicate = () => true, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = calls.find((call) => call.method === method && predicate(call));
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `no ${method} call matched within ${timeoutMs} ms; calls: ${calls.map((call) => call.method).join(', ')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

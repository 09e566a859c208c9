// `toolgate gateway --stdio`: MCP on stdin/stdout for local clients, forwarded message by message to the API's
// Streamable HTTP gateway (/mcp) with the CLI's token. The bridge holds no Temporal connection, signing key or
// policy: every rule is the API's. Nothing but MCP goes to stdout; what the bridge has to say goes to stderr.
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  ErrorCode,
  InitializeResultSchema,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  CancelledNotificationSchema,
  type CancelledNotification,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { ApiUnreachableError, errorFrom, reasonOf } from './api-client.ts';
import { EventIdWatch, RECONNECTION, Resumptions, type ResumeFailure } from './gateway-resumption.ts';
import { EXIT } from './session.ts';

const PREFLIGHT_TIMEOUT_MS = 15_000;

function isCancellation(message: JSONRPCMessage): message is JSONRPCMessage & CancelledNotification {
  return CancelledNotificationSchema.safeParse(message).success;
}

export interface BridgeOptions {
  /** The API's base URL (the gateway is at `${url}/mcp`). */
  url: string;
  token: string;
  /** More request headers on every call (a server's `userCredential.fromHeader`, say). */
  headers: Record<string, string>;
  /** One line to stderr. */
  log(line: string): void;
}

function requestHeaders(options: BridgeOptions): Record<string, string> {
  return { ...options.headers, authorization: `Bearer ${options.token}` };
}

/**
 * One `ping` to the gateway before any client message is read: a wrong URL or a refused token ends the bridge
 * with the CLI's usual error and exit code instead of leaving the client with a server that answers nothing.
 */
export async function preflight(options: BridgeOptions): Promise<void> {
  const url = `${options.url}/mcp`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        ...requestHeaders(options),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'toolgate-gateway-preflight', method: 'ping' }),
      signal: AbortSignal.timeout(PREFLIGHT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ApiUnreachableError(url, reasonOf(error));
  }
  if (!response.ok) throw await errorFrom(response);
  await response.body?.cancel();
}

/** The API's own message out of the SDK's "Error POSTing to endpoint: <body>". */
function upstreamFailure(error: unknown, url: string): { code: number; message: string; status?: number } {
  if (error instanceof StreamableHTTPError) {
    const body = error.message.replace(/^Streamable HTTP error: Error POSTing to endpoint: /, '');
    let message = body;
    try {
      const parsed = JSON.parse(body) as { error?: { message?: unknown } };
      if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    } catch {
      // Not the API's error shape: the SDK's text as it is.
    }
    return {
      code: ErrorCode.InternalError,
      message: `toolgate gateway: the API answered ${error.code}: ${message}`,
      status: error.code,
    };
  }
  return {
    code: ErrorCode.ConnectionClosed,
    message: `toolgate gateway: cannot reach the API at ${url}: ${reasonOf(error)}`,
  };
}

/**
 * The answer the client gets when the API's response stream for `id` ends or breaks (the API restarted, say) and
 * cannot be resumed: appended to that stream itself, so it arrives after anything the stream held and the bridge
 * drops it when the real answer came first. Without it the client would wait for its own timeout (the SDK does
 * not notice).
 */
function endOfStreamAnswer(id: RequestId, url: string, reason: string): string {
  const error = { code: ErrorCode.ConnectionClosed, message: endOfStreamMessage(url, reason) };
  return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id, error })}\n\n`;
}

function endOfStreamMessage(url: string, reason: string): string {
  return (
    `toolgate gateway: the connection to ${url} ended before the answer (${reason}); a tools/call goes on ` +
    'as its round (see the progress notice or GET /v1/rounds), approved or not as before'
  );
}

/**
 * `fetch` for the SDK transport. A request's SSE answer without event ids ends with the end-of-stream answer
 * above; one with event ids (a gateway call) is left to break or end as it does, so the SDK resumes it, and its
 * reconnections go through `resumptions`.
 */
function bridgeFetch(url: string, resumptions: Resumptions, unsupported: (failure: ResumeFailure) => void) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.method === 'GET') return resumptions.reconnect(input, init, unsupported);
    const response = await fetch(input, init);
    const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const body = response.body;
    if (!body || !isJSONRPCRequest(sent) || !response.headers.get('content-type')?.startsWith('text/event-stream'))
      return response;
    const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader();
    const encoder = new TextEncoder();
    const ids = new EventIdWatch();
    const closing = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let reason = 'the stream ended';
        try {
          const { value, done } = await reader.read();
          if (!done) {
            ids.read(value);
            return controller.enqueue(value);
          }
        } catch (error) {
          if (ids.seen) return controller.error(error);
          reason = reasonOf(error);
        }
        if (!ids.seen) controller.enqueue(encoder.encode(endOfStreamAnswer(sent.id, url, reason)));
        controller.close();
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(closing, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * Runs until the client closes stdin (exit 0) or the API refuses the token (exit 3). Every message passes
 * unchanged both ways: requests, responses, notifications (progress) and the API's requests to the client.
 */
export async function runStdioBridge(options: BridgeOptions): Promise<number> {
  const url = `${options.url}/mcp`;
  await preflight(options);
  const local = new StdioServerTransport();
  /** Client requests not answered yet; an answer for any other id is an end-of-stream answer that came late. */
  const pending = new Set<RequestId>();
  const initializing = new Set<RequestId>();
  const resumptions = new Resumptions();
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

  const answer = (id: RequestId, code: number, message: string) =>
    local.send({ jsonrpc: '2.0', id, error: { code, message } });
  /** A resumable stream that could not be resumed: its request is answered as a broken one is. */
  const unresumed = ({ id, reason }: ResumeFailure) => {
    resumptions.settle(id);
    if (!pending.delete(id)) return;
    const message = endOfStreamMessage(url, reason);
    options.log(`toolgate gateway: request ${id} failed: ${message}`);
    void answer(id, ErrorCode.ConnectionClosed, message);
  };
  const upstream = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: requestHeaders(options) },
    fetch: bridgeFetch(url, resumptions, unresumed),
    reconnectionOptions: RECONNECTION,
  });

  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message)) {
      pending.add(message.id);
      if (message.method === 'initialize') initializing.add(message.id);
    }
    const cancelled = isCancellation(message) ? message.params.requestId : undefined;
    if (cancelled !== undefined) {
      // The client gave up on it: a stream still being resumed for it stops at its next reconnection.
      pending.delete(cancelled);
      resumptions.settle(cancelled);
    }
    const id = isJSONRPCRequest(message) ? message.id : undefined;
    const tracking =
      id === undefined
        ? undefined
        : { onresumptiontoken: (eventId: string) => void (pending.has(id) && resumptions.track(id, eventId)) };
    upstream.send(message, tracking).catch(async (error: unknown) => {
      const failure = upstreamFailure(error, url);
      options.log(failure.message);
      if (isJSONRPCRequest(message) && pending.delete(message.id))
        await answer(message.id, failure.code, failure.message);
      if (failure.status === 401) {
        options.log('toolgate gateway: the API refused the token (check --token or TOOLGATE_TOKEN)');
        finish(EXIT.http);
      }
    });
  };
  upstream.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id === undefined) return;
      resumptions.settle(message.id);
      if (!pending.delete(message.id)) return;
      // Desktop clients keep a server's stderr as its log: refusals and broken streams are worth a line there.
      if (isJSONRPCErrorResponse(message))
        options.log(`toolgate gateway: request ${message.id} failed: ${message.error.message}`);
      if (initializing.delete(message.id) && isJSONRPCResultResponse(message)) {
        // Later requests carry the negotiated version (MCP-Protocol-Version), as the SDK's Client would send.
        const initialized = InitializeResultSchema.safeParse(message.result);
        if (initialized.success) upstream.setProtocolVersion(initialized.data.protocolVersion);
      }
    }
    void local.send(message);
  };
  upstream.onerror = (error) => {
    options.log(`toolgate gateway: ${error.message}`);
    // The SDK reports a failed reconnection here, without its request: the ones that ran out of tries are answered.
    for (const failure of resumptions.exhausted()) unresumed(failure);
  };
  local.onerror = (error) => options.log(`toolgate gateway: unreadable message from the client: ${error.message}`);
  local.onclose = () => finish(EXIT.ok);
  process.stdin.once('end', () => finish(EXIT.ok));

  await upstream.start();
  await local.start();
  options.log(`toolgate gateway: MCP on stdio, forwarded to ${url}`);
  const code = await finished;
  // Calls still waiting go on as rounds in the API; the bridge only stops waiting for them.
  await upstream.close();
  await local.close();
  return code;
}

// Resumable response streams for task-less gateway calls (docs/gateway.md, "While a call waits"). Every SSE event
// of a tools/call's response stream has an id that names the call's round, the JSON-RPC request id, the client's
// progress token and how far the stream got, so a client whose stream broke (the API replica died, a proxy cut
// it) reconnects with `GET /mcp` and `Last-Event-ID` to ANY replica: that replica follows the round in Temporal
// (nothing of the call lives in memory) and sends newer progress, then the response under the original request
// id. The SDK client does this on its own once the stream has event ids (client/streamableHttp.js).
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { openSseResponse, type SseResponse } from '../runtime/sse.ts';
import type { ApiContext } from './api-context.ts';
import { callResult, reportWaits, untilLeft } from './gateway-calls.ts';
import { noteOf } from './gateway-client-capabilities.ts';
import { askCaller } from './gateway-elicitation.ts';
import { CallProgress, keepAlive } from './gateway-keepalive.ts';
import type { ApiMetrics } from './metrics.ts';
import { describeRound } from './round-facts.ts';
import type { StreamSlots } from './stream-slots.ts';
import { sendThrottled } from './throttle.ts';

/** Event ids are read back from a header: longer than any this gateway writes means not one of its own. */
const MAX_EVENT_ID_CHARS = 1024;
const JsonRpcId = z.union([z.string().max(200), z.number().int()]);

/** Where a call's response stream stands, as its event ids carry it (base64url JSON). */
const CallCursor = z.strictObject({
  /** The call's round (`mcp-<uuid>`, named before the round started). */
  round: z.string().regex(/^mcp-[0-9a-f-]{36}$/),
  /** The tools/call's JSON-RPC id: the resumed response answers it. */
  request: JsonRpcId,
  /** The client's progress token, when it asked for progress: resumed notices carry it. */
  progressToken: JsonRpcId.optional(),
  /** Events sent on the stream so far (the SDK's priming event is 0). */
  seq: z.number().int().min(0),
  /** Progress notifications sent so far: resumed ones count on from here. */
  progress: z.number().int().min(0),
});
type CallCursor = z.infer<typeof CallCursor>;

export function encodeEventId(cursor: CallCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** undefined for anything this gateway did not write (the caller still checks who owns the round). */
export function decodeEventId(eventId: string): CallCursor | undefined {
  if (eventId.length > MAX_EVENT_ID_CHARS || !/^[A-Za-z0-9_-]+$/.test(eventId)) return undefined;
  try {
    return CallCursor.safeParse(JSON.parse(Buffer.from(eventId, 'base64url').toString('utf8'))).data;
  } catch {
    return undefined;
  }
}

/** Mints a call's event ids in order, from the stream's start or from where a resumed stream left off. */
class CallEventIds {
  private cursor: CallCursor;

  constructor(cursor: CallCursor) {
    this.cursor = cursor;
  }

  next(message: JSONRPCMessage | Record<string, never>): string {
    const progress =
      'method' in message && message.method === 'notifications/progress'
        ? Math.max(this.cursor.progress, Number(message.params?.progress) || 0)
        : this.cursor.progress;
    this.cursor = { ...this.cursor, seq: this.cursor.seq + 1, progress };
    return encodeEventId(this.cursor);
  }
}

/** A task-less tools/call about to be served: its round's id, chosen now so the stream's first event can name it. */
export interface ResumableCall {
  roundId: string;
  /** The SDK transport's `eventStore`: it only mints ids (a resume is served by `resumeCall`, from Temporal). */
  eventStore: EventStore;
}

const ToolCallBody = z.object({
  jsonrpc: z.literal('2.0'),
  id: JsonRpcId,
  method: z.literal('tools/call'),
  params: z.looseObject({
    task: z.unknown().optional(),
    _meta: z.looseObject({ progressToken: JsonRpcId.optional() }).optional(),
  }),
});

/**
 * For a POST body that is one task-less tools/call: the round id it will run as and ids for its stream's events.
 * Anything else (a batch, a task, another method) answers at once or is a task, and needs no resuming.
 */
export function resumableCall(body: unknown): ResumableCall | undefined {
  const call = ToolCallBody.safeParse(body).data;
  if (!call || call.params.task !== undefined) return undefined;
  const roundId = `mcp-${randomUUID()}`;
  const progressToken = call.params._meta?.progressToken;
  // The SDK's priming event (stored as `{}`) is the first: seq 0.
  const ids = new CallEventIds({
    round: roundId,
    request: call.id,
    ...(progressToken === undefined ? {} : { progressToken }),
    seq: -1,
    progress: 0,
  });
  return {
    roundId,
    eventStore: {
      storeEvent: async (_streamId, message) => ids.next(message),
      replayEventsAfter: async () => {
        throw new Error('a gateway call resumes through GET /mcp (resumeCall), never through its POST transport');
      },
    },
  };
}

function jsonRpcError(message: string) {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}

function writeEvent(stream: SseResponse, ids: CallEventIds, message: JSONRPCMessage): void {
  stream.write(`id: ${ids.next(message)}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
}

export interface ResumeOptions {
  keepAliveMs: number;
  metrics: ApiMetrics;
  /** Open event streams per principal and replica (limits.streams); absent: limits are off. */
  slots?: StreamSlots;
}

/**
 * GET /mcp with Last-Event-ID: the rest of a call's response stream, from Temporal. 404 for an id this gateway did
 * not write, a round that is gone or one the caller did not start (a stolen id gives nobody else anything).
 */
export async function resumeCall(
  context: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
  lastEventId: string,
  options: ResumeOptions,
): Promise<void> {
  const cursor = decodeEventId(lastEventId);
  const facts = cursor && (await describeRound(context, cursor.round));
  if (!cursor || !facts || !context.access.followsCall(request.principal, facts)) {
    return reply.code(404).send(jsonRpcError('No call of yours to resume from this Last-Event-ID'));
  }
  const slot = options.slots?.acquire(request.principal);
  if (slot && !('release' in slot)) return sendThrottled(reply, options.metrics, request.principal, slot);
  const left = new AbortController();
  request.raw.on('close', () => left.abort());
  reply.hijack();
  const stream = openSseResponse(reply.raw);
  options.metrics.openStreams.inc();
  const ids = new CallEventIds(cursor);
  const progress =
    cursor.progressToken === undefined
      ? undefined
      : new CallProgress(
          cursor.progressToken,
          async (notification) => writeEvent(stream, ids, { jsonrpc: '2.0', ...notification }),
          cursor.progress,
        );
  // The approval it waits for now is told again (the client may have missed it), then each new one; a caller who
  // may decide it is asked again with a form, which the broken stream may have lost.
  const onWait = askCaller(context, request.principal, noteOf(request.headers), async (message) =>
    writeEvent(stream, ids, message),
  );
  const waits = reportWaits(
    context,
    cursor.round,
    { onWait, ...(progress ? { progress: progress.notify } : {}) },
    left.signal,
  );
  const reminders = progress
    ? keepAlive(context, cursor.round, progress.notify, options.keepAliveMs, left.signal)
    : Promise.resolve();
  try {
    const result = await untilLeft(callResult(context, cursor.round), left.signal);
    writeEvent(stream, ids, { jsonrpc: '2.0', id: cursor.request, result });
  } catch (error) {
    // Ending without the response makes the client reconnect with its last event id (a transient Temporal error).
    if (!left.signal.aborted) request.log.warn({ err: error, roundId: cursor.round }, 'resumed MCP stream ended early');
  } finally {
    left.abort();
    await waits;
    await reminders;
    slot?.release();
    options.metrics.openStreams.dec();
    stream.end();
  }
}

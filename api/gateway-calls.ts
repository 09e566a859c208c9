// The MCP gateway's tools/call (docs/gateway.md): a round without an LLM whose only step is this call, so the
// call gets the same policy, approval gate, grants, execution rules, signed decisions and audit as a model's.
import type { IncomingHttpHeaders } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowFailedError } from '@temporalio/client';
import { stateQuery, type PendingApproval } from '../workflows/contract.ts';
import type { queryRound } from '../workflows/query-round.ts';
import type { ApiContext } from './api-context.ts';
import { keepAlive, waitNotice, type ApprovalLinks, type ProgressNotice } from './gateway-keepalive.ts';
import { HistoryWatcher } from './history-watcher.ts';
import { startRound } from './rounds.ts';

const QUERY_CHARS = 200;

export interface GatewayCall {
  principal: string;
  headers: IncomingHttpHeaders;
  name: string;
  arguments: Record<string, unknown>;
  /** The server offering the tool, when known: the round lists only it. Unknown: it lists all, and says so. */
  server?: string;
  /** Told each approval the call comes to wait on: its id, who must decide, where (MCP progress notifications). */
  progress?: (notice: ProgressNotice) => Promise<void>;
  /** With `progress`: also told every this many ms what the call waits for now (api.gateway.keepAlive). */
  keepAliveMs?: number;
  /** The round's id, when the caller named it before the start (a resumable stream's event ids carry it). */
  roundId?: string;
  /** Aborted when the client leaves: the wait ends, the round goes on. */
  signal?: AbortSignal;
  /**
   * Told each approval the call comes to wait on, before its progress notice (MCP elicitation asks the caller);
   * what it answers is added to the notice (how the approval gets decided).
   */
  onWait?: (approval: PendingApproval, links: ApprovalLinks) => Promise<string | undefined>;
}

/**
 * Wakes on each change of the round's history (the event streams' long poll, no fixed interval) and reports
 * every approval it opens, once. Ends when the round closes or `signal` aborts; a failed read ends it quietly
 * (progress is a courtesy: the call's result does not depend on it).
 */
export async function reportWaits(
  context: ApiContext,
  roundId: string,
  call: Pick<GatewayCall, 'progress' | 'onWait'>,
  signal: AbortSignal,
): Promise<void> {
  const watcher = new HistoryWatcher(context, roundId);
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  const reported = new Set<string>();
  try {
    while ((await watcher.next(signal)) === 'grown') {
      // Abandoned with the wait: on the round's closing growth this query replays the closed round on a worker,
      // and the call's result must not wait for that.
      const state = await untilLeft(handle.query(stateQuery), signal);
      for (const approval of state.approvals) {
        if (approval.status !== 'pending' || reported.has(approval.approvalId)) continue;
        reported.add(approval.approvalId);
        const notice = waitNotice(context, roundId, approval);
        const how = await call.onWait?.(approval, notice.links);
        await call.progress?.(how ? { ...notice, message: `${notice.message}. ${how}` } : notice);
      }
    }
  } catch {
    // Aborted (the call settled or the client left), or the round could not be read: no more notices.
  }
}

/** The call's result, or a rejection as soon as its client leaves (the result is not waited for: nobody reads it). */
export function untilLeft<T>(result: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return result;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const leave = () => reject(signal.reason as Error);
    signal.addEventListener('abort', leave, { once: true });
    void result.then(resolve, reject).finally(() => signal.removeEventListener('abort', leave));
  });
}

function errorResult(text: string, roundId: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, _meta: { 'toolgate/roundId': roundId } };
}

/** A gateway round's MCP result, once it has one (waits for the round to close). */
export async function callResult(context: ApiContext, roundId: string): Promise<CallToolResult> {
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  try {
    const result = await handle.result();
    const record = result.toolCalls[0];
    const meta = {
      'toolgate/roundId': roundId,
      ...(record?.approvalId ? { 'toolgate/approvalId': record.approvalId } : {}),
      ...(record ? { 'toolgate/outcome': record.outcome } : {}),
    };
    return {
      content: [{ type: 'text', text: result.answer }],
      ...(record?.outcome === 'succeeded' ? {} : { isError: true }),
      _meta: meta,
    };
  } catch (error) {
    if (error instanceof WorkflowFailedError)
      return errorResult(`toolgate could not run the call: ${error.cause?.message ?? error.message}`, roundId);
    throw error;
  }
}

/** Starts the round of a gateway call; its id is the call's MCP task id. */
export async function startCallRound(
  context: ApiContext,
  call: Pick<GatewayCall, 'principal' | 'headers' | 'name' | 'arguments' | 'server' | 'roundId'>,
): Promise<string> {
  const { roundId } = await startRound(
    context,
    call.principal,
    { query: `MCP tools/call ${call.name}`.slice(0, QUERY_CHARS), ...(call.server ? { servers: [call.server] } : {}) },
    call.headers,
    { toolCall: { name: call.name, arguments: call.arguments }, ...(call.roundId ? { roundId: call.roundId } : {}) },
  );
  return roundId;
}

/**
 * Starts the call's round and waits for its result (the request stays open while an approval is pending; the
 * round does not depend on it: a dropped client leaves the round running). What the tool returned comes back
 * as text; anything but a success (the tool's own error, a rejection, an expiry, an unknown outcome, an
 * unknown tool) is `isError` with the text the model would get.
 */
export async function callThroughRound(context: ApiContext, call: GatewayCall): Promise<CallToolResult> {
  const roundId = await startCallRound(context, call);
  const watching = new AbortController();
  const stopWatching = () => watching.abort();
  call.signal?.addEventListener('abort', stopWatching, { once: true });
  const waits = call.progress || call.onWait ? reportWaits(context, roundId, call, watching.signal) : Promise.resolve();
  const reminders =
    call.progress && call.keepAliveMs
      ? keepAlive(context, roundId, call.progress, call.keepAliveMs, watching.signal)
      : Promise.resolve();
  try {
    return await untilLeft(callResult(context, roundId), call.signal);
  } finally {
    watching.abort();
    call.signal?.removeEventListener('abort', stopWatching);
    await waits;
    await reminders;
  }
}

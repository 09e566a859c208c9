// The MCP gateway's tools/call (docs/gateway.md): a round without an LLM whose only step is this call, so the
// call gets the same policy, approval gate, grants, execution rules, signed decisions and audit as a model's.
import type { IncomingHttpHeaders } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { WorkflowFailedError } from '@temporalio/client';
import type { queryRound } from '../workflows/query-round.ts';
import type { ApiContext } from './api-context.ts';
import { startRound } from './rounds.ts';

const QUERY_CHARS = 200;

export interface GatewayCall {
  principal: string;
  headers: IncomingHttpHeaders;
  name: string;
  arguments: Record<string, unknown>;
}

function errorResult(text: string, roundId: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, _meta: { 'toolgate/roundId': roundId } };
}

/**
 * Starts the call's round and waits for its result (the request stays open while an approval is pending; the
 * round does not depend on it: a dropped client leaves the round running). What the tool returned comes back
 * as text; anything but a success (the tool's own error, a rejection, an expiry, an unknown outcome, an
 * unknown tool) is `isError` with the text the model would get.
 */
export async function callThroughRound(context: ApiContext, call: GatewayCall): Promise<CallToolResult> {
  const { roundId } = await startRound(
    context,
    call.principal,
    { query: `MCP tools/call ${call.name}`.slice(0, QUERY_CHARS) },
    call.headers,
    { toolCall: { name: call.name, arguments: call.arguments } },
  );
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

// tasks/list for the MCP gateway: a principal's gateway rounds, one visibility page per request. The cursor is
// Temporal's own page token (base64url), so any replica continues a listing another began; a token Temporal
// does not accept is the client's error.
import type { ApiContext } from './api-context.ts';
import { quoted } from './pending-approvals.ts';
import { requesterRounds } from './requester-rounds.ts';
import { isInvalidArgument, isUnknownServerError } from './temporal-errors.ts';

/** Every gateway round's id starts so (api/rounds.ts): the task list is those rounds and no others. */
export const GATEWAY_ROUND_PREFIX = 'mcp-';

export interface RoundPage {
  roundIds: string[];
  nextCursor?: string;
}

/** One page of `principal`'s gateway rounds (running first); `cursor` is a previous page's `nextCursor`. */
export async function gatewayRoundPage(
  context: ApiContext,
  principal: string,
  cursor: string | undefined,
  pageSize: number,
): Promise<RoundPage> {
  if (cursor !== undefined && !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw new Error(`Invalid cursor: ${cursor.slice(0, 40)}`);
  try {
    const response = await context.client.workflowService.listWorkflowExecutions({
      namespace: context.namespace,
      query: `${requesterRounds(context, principal)} AND WorkflowId STARTS_WITH ${quoted(GATEWAY_ROUND_PREFIX)}`,
      pageSize,
      ...(cursor === undefined ? {} : { nextPageToken: Buffer.from(cursor, 'base64url') }),
    });
    const token = response.nextPageToken;
    return {
      roundIds: (response.executions ?? []).map((execution) => execution.execution?.workflowId ?? ''),
      ...(token && token.length > 0 ? { nextCursor: Buffer.from(token).toString('base64url') } : {}),
    };
  } catch (error) {
    if (cursor !== undefined && (isInvalidArgument(error) || isUnknownServerError(error)))
      throw new Error('Invalid cursor: not one this gateway gave', { cause: error });
    throw error;
  }
}

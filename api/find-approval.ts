// An approval by its id, read the one way every API path reads it: while pending, from what its round
// published (memo, no worker needed); once closed, from the round's state (a worker answers the query).
import { parseApprovalId, stateQuery, type ApprovalRecord, type ApprovalSummary } from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';
import { describeRound, type RoundFacts } from './round-facts.ts';
import { toApiError } from './temporal-errors.ts';

export interface FoundApproval {
  facts: RoundFacts;
  /** Its published summary while it waits for a decision. */
  pending: ApprovalSummary | undefined;
}

/** undefined when the id names no round that exists. */
export async function findApproval(context: ApiContext, approvalId: string): Promise<FoundApproval | undefined> {
  const ids = parseApprovalId(approvalId);
  if (!ids) return undefined;
  const facts = await describeRound(context, ids.roundId);
  if (!facts) return undefined;
  return { facts, pending: facts.pending.find((summary) => summary.approvalId === approvalId) };
}

/** What became of an approval that is not pending; undefined when the round never opened it. */
export async function closedApproval(
  context: ApiContext,
  roundId: string,
  approvalId: string,
): Promise<ApprovalRecord | undefined> {
  const handle = context.client.workflow.getHandle(roundId);
  const state = await context.client
    .withDeadline(Date.now() + context.workerWaitMs, () => handle.query(stateQuery))
    .catch((error: unknown) => {
      throw toApiError(error, roundId);
    });
  return state.approvals.find((entry) => entry.approvalId === approvalId);
}

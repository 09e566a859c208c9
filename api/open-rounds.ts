// What a requester has open right now: running rounds and the approvals pending in them, from ONE visibility
// list (search attributes only), so the count holds across API replicas and restarts.
import type { ApiContext } from './api-context.ts';
import { listRounds, requesterRounds } from './requester-rounds.ts';

export interface OpenRounds {
  roundIds: string[];
  pendingApprovalIds: string[];
}

/**
 * `principal`'s running rounds, the first `maxRounds` of them, and their pending approvals. Approvals are
 * counted from ToolgatePendingApprovals, which lists a round's first ~40: a round holding more counts as ~40.
 */
export async function openRounds(context: ApiContext, principal: string, maxRounds: number): Promise<OpenRounds> {
  const open: OpenRounds = { roundIds: [], pendingApprovalIds: [] };
  const query = `${requesterRounds(context, principal)} AND ExecutionStatus = "Running"`;
  for await (const round of listRounds(context, query, Math.min(maxRounds, 1000))) {
    open.roundIds.push(round.roundId);
    open.pendingApprovalIds.push(...round.pendingApprovalIds);
    if (open.roundIds.length >= maxRounds) break;
  }
  return open;
}

// The Slack listeners' way into the rounds: an approval's summary while it is pending (from the round's memo,
// which needs no worker), otherwise a sentence saying what became of it; decisions by the HTTP API's path.
import { stateQuery, parseApprovalId, type ApprovalRecord } from '../workflows/contract.ts';
import type { ApprovalDesk, ApprovalLookup } from '../slack/approval-desk.ts';
import type { ApiContext } from './api-context.ts';
import { decide } from './decisions.ts';
import { describeRound } from './round-facts.ts';

function closedState(record: ApprovalRecord): string {
  const what = `Approval ${record.approvalId} (${record.server}/${record.tool})`;
  const decision = record.decision;
  if (!decision)
    return record.status === 'expired'
      ? `${what} expired without a decision.`
      : `${what} was ${record.status} with its round.`;
  const reason = decision.reason ? `: ${decision.reason}` : '';
  return `${what} was already ${record.status} by ${decision.approver.id} via ${decision.approver.channel}${reason}.`;
}

async function lookUpApproval(context: ApiContext, approvalId: string): Promise<ApprovalLookup> {
  const notFound = { pending: false, state: `Approval ${approvalId} was not found.` } as const;
  const ids = parseApprovalId(approvalId);
  if (!ids) return notFound;
  const facts = await describeRound(context, ids.roundId);
  if (!facts) return notFound;
  const approval = facts.pending.find((summary) => summary.approvalId === approvalId);
  if (approval) return { pending: true, approval };
  const handle = context.client.workflow.getHandle(ids.roundId);
  // Closed approvals are only in the round's state, which a worker answers; without one, say no more than we know.
  const state = await context.client
    .withDeadline(Date.now() + context.workerWaitMs, () => handle.query(stateQuery))
    .catch(() => undefined);
  if (!state) return { pending: false, state: `Approval ${approvalId} is no longer pending.` };
  const record = state.approvals.find((entry) => entry.approvalId === approvalId);
  return record ? { pending: false, state: closedState(record) } : notFound;
}

export function createSlackDesk(context: ApiContext): ApprovalDesk {
  return {
    lookUp: (approvalId) => lookUpApproval(context, approvalId),
    decide: (approvalId, approver, decision) => decide(context, approvalId, approver, decision),
  };
}

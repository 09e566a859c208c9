// The Slack listeners' way into the rounds: one lookup of the approval, then the HTTP API's own checks and
// decision path; refusals come back as data for the listeners to word.
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import { argumentsText, escapeInvisible } from '../workflows/shared/visible-text.ts';
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ApprovalDesk, Refusal } from '../slack/approval-desk.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApiContext } from './api-context.ts';
import { submitDecision } from './decisions.ts';
import { closedApproval, findApproval } from './find-approval.ts';

/** The pending approval, or why there is none to decide. */
async function pendingOrRefusal(
  context: ApiContext,
  approvalId: string,
): Promise<{ roundId: string; approval: ApprovalSummary } | Refusal> {
  const found = await findApproval(context, approvalId);
  if (!found) return { why: 'not_found', approvalId };
  if (found.pending) return { roundId: found.facts.roundId, approval: found.pending };
  // Closed approvals are only in the round's state, which a worker answers; without one, say no more than we know.
  const record = await closedApproval(context, found.facts.roundId, approvalId).catch(() => undefined);
  return { why: 'closed', approvalId, record };
}

function forbidden(approval: ApprovalSummary, principal: string): Refusal {
  return { why: approval.requester === principal ? 'own_request' : 'not_an_approver', approval };
}

export function createSlackDesk(context: ApiContext): ApprovalDesk {
  async function admit(approvalId: string, principal: string) {
    const found = await pendingOrRefusal(context, approvalId);
    if ('why' in found) return found;
    return mayDecide(found.approval, principal).allowed
      ? { ok: true as const, roundId: found.roundId, approval: found.approval }
      : forbidden(found.approval, principal);
  }
  return {
    admit,
    async review(approvalId, principal) {
      const admitted = await admit(approvalId, principal);
      if (!('ok' in admitted)) return admitted;
      const record = await closedApproval(context, admitted.roundId, approvalId).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'worker_unavailable') return undefined;
        throw error;
      });
      if (!record)
        return { why: 'refused', message: 'No worker answered in time to show every argument; try again shortly.' };
      return {
        ok: true,
        approval: admitted.approval,
        argumentsText: argumentsText(record.arguments).text,
        ...(record.preview ? { previewText: escapeInvisible(record.preview.content) } : {}),
      };
    },
    async decide(approvalId, approver, decision) {
      const found = await pendingOrRefusal(context, approvalId);
      if ('why' in found) return found;
      try {
        const result = await submitDecision(context, found.roundId, found.approval, approver, decision);
        const { queued, applied } = result;
        const edited = applied && result.decision?.editedArguments !== undefined;
        return { ok: true, approval: found.approval, queued, applied, ...(edited ? { edited } : {}) };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const { reasons } = error.details;
        if (error.code === 'invalid_edit' || error.code === 'edit_not_allowed')
          return {
            why: 'edit_refused',
            approval: found.approval,
            message: error.message,
            reasons: Array.isArray(reasons) ? reasons.map(String) : [],
          };
        if (error.status === 403) return forbidden(found.approval, approver.id);
        return { why: 'refused', message: error.message };
      }
    },
  };
}

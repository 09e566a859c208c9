// What an approver who is not the round's requester, an auditor or an admin sees of it (docs/clients.md,
// Authorization): its query, its start and end, and the approvals they may decide. Its other calls' arguments
// and outputs and its answer stay out: they may come from the requester's own credential.
import { approvalSummary } from '../workflows/shared/approval-summary.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import type { ApprovalRecord, RoundEvent, RoundState } from '../workflows/contract.ts';
import { ApproverRoundEvent, type ApprovalResponse, type ApproverRoundView } from '../runtime/http-api.ts';
import type { ApiContext } from './api-context.ts';
import { closedApproval } from './find-approval.ts';

/** An approval as GET /v1/approvals/{approvalId} shows it. */
export function approvalResponse(record: ApprovalRecord): ApprovalResponse {
  return { ...approvalSummary(record), status: record.status, decision: record.decision, closedAt: record.closedAt };
}

export function approverView(state: RoundState, principal: string): ApproverRoundView {
  return {
    roundId: state.roundId,
    scope: 'approvals',
    status: state.status,
    query: state.query,
    requester: state.requester,
    approvals: state.approvals.filter((record) => mayDecide(record, principal).allowed).map(approvalResponse),
  };
}

/** A round's event stream as such an approver reads it. */
export class ApproverEvents {
  readonly #context: ApiContext;
  readonly #roundId: string;
  readonly #principal: string;
  /** Approval id -> whether the principal may decide it, learnt from approval_required events. */
  readonly #decidable = new Map<string, boolean>();

  constructor(context: ApiContext, roundId: string, principal: string) {
    this.#context = context;
    this.#roundId = roundId;
    this.#principal = principal;
  }

  /** The event as the approver sees it, or undefined when it is none of theirs. */
  async admit(event: RoundEvent): Promise<ApproverRoundEvent | undefined> {
    switch (event.type) {
      case 'round_started':
      case 'round_completed':
      case 'round_failed':
        return ApproverRoundEvent.parse(event);
      case 'approval_required': {
        const allowed = mayDecide(event.approval, this.#principal).allowed;
        this.#decidable.set(event.approval.approvalId, allowed);
        return allowed ? ApproverRoundEvent.parse(event) : undefined;
      }
      case 'approval_escalated':
        // The people it escalated to may decide it from now on: they see it, and what becomes of it.
        if (event.approvers.includes(this.#principal)) this.#decidable.set(event.approvalId, true);
        return (await this.#mayDecide(event.approvalId)) ? ApproverRoundEvent.parse(event) : undefined;
      case 'approval_readdressed':
        // Who may decide changed: the round's state says whether this principal is among them now.
        this.#decidable.delete(event.approvalId);
        return (await this.#mayDecide(event.approvalId)) ? ApproverRoundEvent.parse(event) : undefined;
      case 'approval_decided':
      case 'approval_counted':
      case 'approval_reminded':
      case 'approval_extended':
        return (await this.#mayDecide(event.approvalId)) ? ApproverRoundEvent.parse(event) : undefined;
      default:
        return undefined;
    }
  }

  async #mayDecide(approvalId: string): Promise<boolean> {
    if (!this.#decidable.has(approvalId)) {
      // Opened before the stream resumed (Last-Event-ID): the round's state says who may decide it.
      const record = await closedApproval(this.#context, this.#roundId, approvalId);
      this.#decidable.set(approvalId, record !== undefined && mayDecide(record, this.#principal).allowed);
    }
    return this.#decidable.get(approvalId)!;
  }
}

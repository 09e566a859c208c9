import type { ApprovalSummary, Approver } from '../workflows/contract.ts';

/** What a click is about: the approval while it is pending, otherwise a sentence saying what became of it. */
export type ApprovalLookup = { pending: true; approval: ApprovalSummary } | { pending: false; state: string };

/**
 * What the Slack listeners need from the rest of toolgate, provided by the API process: find an approval
 * and decide it by the same path as the HTTP API. `decide` throws the API's ApiError when it refuses.
 */
export interface ApprovalDesk {
  lookUp(approvalId: string): Promise<ApprovalLookup>;
  decide(
    approvalId: string,
    approver: Approver,
    decision: { decision: 'approve' | 'reject'; reason?: string; argsDigest: string },
  ): Promise<{ queued: boolean }>;
}

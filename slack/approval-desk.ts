import type { ApprovalRecord, ApprovalSummary, Approver } from '../workflows/contract.ts';

/** Why a click cannot decide, for the clicker to read. */
export type Refusal =
  | { why: 'not_found'; approvalId: string }
  /** Decided, expired or cancelled; no record when no worker could say which. */
  | { why: 'closed'; approvalId: string; record: ApprovalRecord | undefined }
  | { why: 'not_an_approver' | 'own_request'; approval: ApprovalSummary }
  | { why: 'refused'; message: string }
  /** Edit on approve: the round (or the API for it) refused the edited arguments, each reason for the approver. */
  | { why: 'edit_refused'; approval: ApprovalSummary; message: string; reasons: string[] };

/**
 * What the Slack listeners need from the rest of toolgate, provided by the API process: an approval its
 * clicker may decide (to show the reject form or every argument), and a decision by the HTTP API's path, which checks once.
 */
export interface ApprovalDesk {
  admit(approvalId: string, principal: string): Promise<{ ok: true; approval: ApprovalSummary } | Refusal>;
  /** Like admit, with every argument as people read them (the round's worker answers). */
  review(
    approvalId: string,
    principal: string,
  ): Promise<
    | {
        ok: true;
        approval: ApprovalSummary;
        argumentsText: string;
        /** The preview's full content, invisible characters escaped, when the approval has one. */
        previewText?: string;
      }
    | Refusal
  >;
  decide(
    approvalId: string,
    approver: Approver,
    decision: {
      decision: 'approve' | 'reject';
      reason?: string;
      argsDigest: string;
      previewDigest?: string;
      /** Edit on approve: the complete arguments to run instead. */
      arguments?: Record<string, unknown>;
      /** Approve and remember: the grant's TTL. */
      remember?: { ttl: number };
    },
  ): Promise<
    | {
        ok: true;
        approval: ApprovalSummary;
        queued: boolean;
        /** False when an earlier decision had already closed the approval (or, queued, not yet applied). */
        applied: boolean;
        /** The round ran the edited arguments: they differed from the model's. */
        edited?: boolean;
      }
    | Refusal
  >;
}

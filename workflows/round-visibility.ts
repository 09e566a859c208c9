// Keeps a round readable in Temporal Web UI and listable through visibility: status and pending approval
// ids as search attributes, approval summaries in the memo, and a one-line current-details text.
import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  ApproversAttribute,
  Memo,
  PendingApprovalsAttribute,
  RequesterAttribute,
  StatusAttribute,
  type ApprovalRecord,
  type RoundStatus,
} from './contract.ts';
import { approvalSummary } from './approval-summary.ts';

function attributeSnapshot(
  status: string | undefined,
  requester: string | undefined,
  pendingIds: string[],
  approvers: string[],
): string {
  return JSON.stringify([status, requester, pendingIds, approvers]);
}

/** Everyone who may decide any approval the round opened: they may read the round, and find it in their list. */
function approversOf(approvals: ApprovalRecord[]): string[] {
  return [...new Set(approvals.flatMap((approval) => approval.approvers))].sort();
}

export class RoundVisibility {
  // Start from what the round was started with (the API sets status and requester), so nothing is
  // upserted that the start already recorded; no pending approvals needs no memo.
  private attributes: string;
  private memo = '[]';

  constructor() {
    const current = workflowInfo().typedSearchAttributes;
    this.attributes = attributeSnapshot(
      current.get(StatusAttribute),
      current.get(RequesterAttribute),
      current.get(PendingApprovalsAttribute) ?? [],
      current.get(ApproversAttribute) ?? [],
    );
  }

  /** Upserts only on change: every upsert is a history event. Current details are not. */
  publish(status: RoundStatus, requester: string, approvals: ApprovalRecord[], details: string): void {
    const pending = approvals.filter((record) => record.status === 'pending');
    const pendingIds = pending.map((record) => record.approvalId);
    const approvers = approversOf(approvals);
    const attributes = attributeSnapshot(status, requester, pendingIds, approvers);
    if (attributes !== this.attributes) {
      this.attributes = attributes;
      upsertSearchAttributes([
        { key: StatusAttribute, value: status },
        { key: RequesterAttribute, value: requester },
        { key: PendingApprovalsAttribute, value: pendingIds },
        { key: ApproversAttribute, value: approvers },
      ]);
    }
    const memo = JSON.stringify(pendingIds);
    if (memo !== this.memo) {
      this.memo = memo;
      upsertMemo({ [Memo.pendingApprovals]: pending.map(approvalSummary) });
    }
    setCurrentDetails(details);
  }
}

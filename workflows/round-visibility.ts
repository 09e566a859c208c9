// Keeps a round readable in Temporal Web UI and listable through visibility: status and pending approval
// ids as search attributes, approval summaries in the memo, and a one-line current-details text.
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import {
  PendingApprovalsAttribute,
  RequesterAttribute,
  StatusAttribute,
  type ApprovalRecord,
  type RoundStatus,
} from './contract.ts';
import { approvalSummary } from './approval-book.ts';

export class RoundVisibility {
  private attributes = '';
  private memo = '';

  /** Upserts only on change: every upsert is a history event. Current details are not. */
  publish(status: RoundStatus, requester: string, pending: ApprovalRecord[], details: string): void {
    const pendingIds = pending.map((record) => record.approvalId);
    const attributes = JSON.stringify([status, requester, pendingIds]);
    if (attributes !== this.attributes) {
      this.attributes = attributes;
      upsertSearchAttributes([
        { key: StatusAttribute, value: status },
        { key: RequesterAttribute, value: requester },
        { key: PendingApprovalsAttribute, value: pendingIds },
      ]);
    }
    const memo = JSON.stringify(pendingIds);
    if (memo !== this.memo) {
      this.memo = memo;
      upsertMemo({ pendingApprovals: pending.map(approvalSummary) });
    }
    setCurrentDetails(details);
  }
}

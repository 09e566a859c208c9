// Keeps a round readable in Temporal Web UI and listable through visibility: status, pending approval ids and
// tokens used as search attributes, approval summaries in the memo, and a one-line current-details text.
import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { isPatched } from './round-patches.ts';
import type { ApprovalRecord, RoundStatus } from './contract.ts';
import {
  ApproversAttribute,
  Memo,
  PendingApprovalsAttribute,
  RequesterAttribute,
  StatusAttribute,
  TokensAttribute,
  ToolsAttribute,
} from './contract/names.ts';
import { approvalSummary } from './shared/approval-summary.ts';

/** Rounds started before ToolgateTools existed replay without it. */
export const TOOLS_ATTRIBUTE_PATCH = 'tools-search-attribute';
/** Rounds started before ToolgateTokens (token quotas) replay without it. */
export const TOKENS_ATTRIBUTE_PATCH = 'tokens-search-attribute';

function attributeSnapshot(
  status: string | undefined,
  requester: string | undefined,
  pendingIds: string[],
  approvers: string[],
  tools: string[],
  tokens: number,
): string {
  return JSON.stringify([status, requester, pendingIds, approvers, tools, tokens]);
}

/** Temporal refuses a search attribute value over 2 KB (`limit.searchAttributeSize`): stay under it. */
const MAX_ATTRIBUTE_BYTES = 2000;

/**
 * The leading values that fit into one search attribute. A round with more pending approvals than fit (about
 * 40 ids) lists the first ones opened; the API finds any round from the approval id itself, and the memo
 * lists every pending approval.
 */
export function fitAttribute(values: string[]): string[] {
  const kept: string[] = [];
  let bytes = 2;
  for (const value of values) {
    bytes += new TextEncoder().encode(JSON.stringify(value)).length + 1;
    if (bytes > MAX_ATTRIBUTE_BYTES) break;
    kept.push(value);
  }
  return kept;
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
      current.get(ToolsAttribute) ?? [],
      current.get(TokensAttribute) ?? 0,
    );
  }

  /**
   * Upserts only on change: every upsert is a history event. Current details are not. `totalTokens` is what the
   * round's LLM calls used so far: the API sums it per requester and period for token quotas.
   */
  publish(
    status: RoundStatus,
    requester: string,
    approvals: ApprovalRecord[],
    calledTools: string[],
    totalTokens: number,
    details: string,
  ): void {
    const pending = approvals.filter((record) => record.status === 'pending');
    const pendingIds = fitAttribute(pending.map((record) => record.approvalId));
    const approvers = fitAttribute(approversOf(approvals));
    const tools = isPatched(TOOLS_ATTRIBUTE_PATCH) ? fitAttribute([...new Set(calledTools)].sort()) : [];
    // Asked at every publish, so its marker lands in the first workflow task, before any local activity.
    const tokens = isPatched(TOKENS_ATTRIBUTE_PATCH) ? totalTokens : 0;
    const attributes = attributeSnapshot(status, requester, pendingIds, approvers, tools, tokens);
    if (attributes !== this.attributes) {
      this.attributes = attributes;
      upsertSearchAttributes([
        { key: StatusAttribute, value: status },
        { key: RequesterAttribute, value: requester },
        { key: PendingApprovalsAttribute, value: pendingIds },
        { key: ApproversAttribute, value: approvers },
        ...(tools.length > 0 ? [{ key: ToolsAttribute, value: tools }] : []),
        ...(tokens > 0 ? [{ key: TokensAttribute, value: tokens }] : []),
      ]);
    }
    // An approval with reminders is published again when a step grows its approvers or moves its expiry: the API
    // checks decisions, and lists approvals for escalated approvers, from the memo. A re-check (patch policy-follow)
    // may re-address a pending approval or close it: what it did is published too, for listings and the audit.
    // Rounds with neither publish as before.
    const rechecked = approvals.flatMap((record) =>
      record.policy?.recheckedOn
        ? [{ approvalId: record.approvalId, status: record.status, policy: record.policy }]
        : [],
    );
    const ids = pending.map((record) =>
      record.reminders ? [record.approvalId, record.approvers, record.expiresAt, record.reminders] : record.approvalId,
    );
    const memo = JSON.stringify(rechecked.length > 0 ? { ids, rechecked } : ids);
    if (memo !== this.memo) {
      this.memo = memo;
      upsertMemo({
        [Memo.pendingApprovals]: pending.map(approvalSummary),
        ...(rechecked.length > 0 ? { [Memo.policyRechecks]: rechecked } : {}),
      });
    }
    setCurrentDetails(details);
  }
}

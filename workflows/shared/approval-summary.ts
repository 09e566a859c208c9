import type { ApprovalRecord, ApprovalSummary } from '../contract.ts';

/** What lists, memos and events show of an approval: no full arguments, only the redacted preview. */
export function approvalSummary(record: ApprovalRecord): ApprovalSummary {
  const {
    approvalId,
    roundId,
    step,
    server,
    tool,
    argsPreview,
    argsDigest,
    requester,
    approvers,
    allowSelfApproval,
    openedAt,
    expiresAt,
  } = record;
  return {
    approvalId,
    roundId,
    step,
    server,
    tool,
    argsPreview,
    argsDigest,
    requester,
    approvers,
    allowSelfApproval,
    openedAt,
    expiresAt,
  };
}

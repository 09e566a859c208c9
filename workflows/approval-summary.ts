import { ApprovalSummary, type ApprovalRecord } from './contract.ts';

/** What lists, memos and events show of an approval: no full arguments, only the redacted preview. */
export function approvalSummary(record: ApprovalRecord): ApprovalSummary {
  return ApprovalSummary.parse(record);
}

// Pending approvals across all rounds from ONE visibility list call: the search attribute selects the rounds,
// their memo carries the summaries. No per-round query, no side database.
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';

export interface PendingApprovalPage {
  approvals: ApprovalSummary[];
  nextPageToken?: string;
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export async function listPendingApprovals(
  context: ApiContext,
  filter: { tool?: string; requester?: string; pageSize: number; pageToken?: string },
): Promise<PendingApprovalPage> {
  const conditions = ['ExecutionStatus = "Running"', 'ToolgateStatus = "waiting_approval"'];
  if (filter.requester) conditions.push(`ToolgateRequester = ${quoted(filter.requester)}`);
  const response = await context.client.workflowService.listWorkflowExecutions({
    namespace: context.namespace,
    query: conditions.join(' AND '),
    pageSize: filter.pageSize,
    nextPageToken: filter.pageToken ? Buffer.from(filter.pageToken, 'base64url') : undefined,
  });
  const converter = context.client.options.loadedDataConverter.payloadConverter;
  const approvals: ApprovalSummary[] = [];
  for (const execution of response.executions ?? []) {
    const payload = execution.memo?.fields?.pendingApprovals;
    if (!payload) continue;
    for (const summary of converter.fromPayload<ApprovalSummary[]>(payload)) {
      if (!filter.tool || summary.tool === filter.tool) approvals.push(summary);
    }
  }
  const token = response.nextPageToken;
  return { approvals, ...(token && token.length > 0 ? { nextPageToken: Buffer.from(token).toString('base64url') } : {}) };
}

// A requester's rounds as visibility lists them, read from search attributes only (no memo, no worker): what
// round limits and token quotas count. Scoped to this deployment's task queue, so two toolgates sharing a
// namespace count apart.
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import {
  PendingApprovalsAttribute,
  RequesterAttribute,
  TokensAttribute,
  WORKFLOW_TYPE,
} from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';
import { quoted } from './pending-approvals.ts';

export interface ListedRound {
  roundId: string;
  /** Ids of its pending approvals as ToolgatePendingApprovals lists them: the first ~40 (a 2 KB attribute). */
  pendingApprovalIds: string[];
  /** LLM tokens it used as it last published (ToolgateTokens). */
  tokens: number;
  /** When it closed; absent while it runs. */
  closedAt?: Date;
}

/** The visibility condition selecting `principal`'s rounds of this deployment; add more with AND. */
export function requesterRounds(context: ApiContext, principal: string): string {
  return [
    `WorkflowType = ${quoted(WORKFLOW_TYPE)}`,
    `TaskQueue = ${quoted(context.taskQueue)}`,
    `${RequesterAttribute.name} = ${quoted(principal)}`,
  ].join(' AND ');
}

function attribute<T>(payload: Payload | undefined, fallback: T): T {
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : fallback;
}

/** The rounds `query` selects, page by page, `pageSize` a page; stop iterating to stop reading. */
export async function* listRounds(context: ApiContext, query: string, pageSize: number): AsyncGenerator<ListedRound> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await context.client.workflowService.listWorkflowExecutions({
      namespace: context.namespace,
      query,
      pageSize,
      nextPageToken,
    });
    for (const execution of response.executions ?? []) {
      const fields = execution.searchAttributes?.indexedFields ?? {};
      yield {
        roundId: execution.execution?.workflowId ?? '',
        pendingApprovalIds: attribute<string[]>(fields[PendingApprovalsAttribute.name] ?? undefined, []),
        tokens: attribute<number>(fields[TokensAttribute.name] ?? undefined, 0),
        ...(execution.closeTime ? { closedAt: optionalTsToDate(execution.closeTime)! } : {}),
      };
    }
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken);
}

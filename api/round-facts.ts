// A round as Temporal describes it, without a worker: whether it exists and runs, who asked, who may decide,
// and its pending approvals (search attributes and memo, read from the execution's own state).
import {
  ApproversAttribute,
  Memo,
  RequesterAttribute,
  RoundStatus,
  StatusAttribute,
  type ApprovalSummary,
} from '../workflows/contract.ts';
import type { ReadScope, RoundOwnership } from './access.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApiContext } from './api-context.ts';
import { isNotFound } from './temporal-errors.ts';

/** temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED */
const WORKFLOW_TASK_STARTED = 2;

export interface RoundFacts extends RoundOwnership {
  roundId: string;
  /** What the round last published (ToolgateStatus). */
  status: RoundStatus | undefined;
  /** A worker holds one of its workflow tasks right now (e.g. through a local LLM call): queries wait for it. */
  busy: boolean;
  /** Temporal's execution status, lower case: running, completed, failed, canceled, terminated, ... */
  executionStatus: string;
  pending: ApprovalSummary[];
}

/** undefined when no such round exists. */
export async function describeRound(context: ApiContext, roundId: string): Promise<RoundFacts | undefined> {
  const handle = context.client.workflow.getHandle(roundId);
  try {
    const description = await handle.describe();
    const executionStatus = description.status.name.toLowerCase();
    return {
      roundId,
      executionStatus,
      requester: description.typedSearchAttributes.get(RequesterAttribute),
      status: RoundStatus.safeParse(description.typedSearchAttributes.get(StatusAttribute)).data,
      busy: (description.raw.pendingWorkflowTask?.state as number | null | undefined) === WORKFLOW_TASK_STARTED,
      approvers: description.typedSearchAttributes.get(ApproversAttribute) ?? [],
      pending:
        executionStatus === 'running' ? ((description.memo?.[Memo.pendingApprovals] ?? []) as ApprovalSummary[]) : [],
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function roundNotFound(roundId: string): ApiError {
  return new ApiError(404, 'round_not_found', `Round ${roundId} not found`);
}

export interface ReadableRound extends RoundFacts {
  scope: ReadScope;
}

/** The round's facts and how much of it `principal` reads; 404 when nothing, so nobody learns that it exists. */
export async function readableRound(context: ApiContext, principal: string, roundId: string): Promise<ReadableRound> {
  const facts = await describeRound(context, roundId);
  const scope = facts && context.access.readScope(principal, facts);
  if (!facts || !scope) throw roundNotFound(roundId);
  return { ...facts, scope };
}

// A decision (HTTP API or Slack) goes to the round as the `decide` update, so the answer is the workflow's own
// verdict. When no worker answers in time it is sent as the `decide` signal instead: durable in history,
// applied when a worker returns, and reported as queued.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  decideSignal,
  decideUpdate,
  parseApprovalId,
  stateQuery,
  type Approver,
  type DecisionRecord,
  type DecisionRequest,
  type DecisionResult,
} from '../workflows/contract.ts';
import { ApiError } from './api-error.ts';
import type { ApiContext } from './api-context.ts';
import type { DecisionBody } from './schemas.ts';
import { isNotFound, isWorkerTimeout, toApiError } from './temporal-errors.ts';

export interface DecisionOutcome extends DecisionResult {
  queued: boolean;
}

function closedDetails(status: string, decision: DecisionRecord | undefined) {
  return {
    status,
    ...(decision ? { decidedBy: decision.approver.id, channel: decision.approver.channel, decidedAt: decision.decidedAt } : {}),
  };
}

function refusal(failure: unknown, approvalId: string): ApiError {
  if (!(failure instanceof ApplicationFailure)) return new ApiError(500, 'internal', 'The round refused the decision');
  const detail = (failure.details?.[0] ?? {}) as { status?: string; decision?: DecisionRecord };
  switch (failure.type) {
    case FailureType.ApprovalNotFound:
      return new ApiError(404, 'approval_not_found', `Approval ${approvalId} not found`);
    case FailureType.ApprovalClosed:
      return new ApiError(409, 'approval_closed', failure.message, closedDetails(detail.status ?? 'closed', detail.decision));
    case FailureType.DigestMismatch:
      return new ApiError(422, 'digest_mismatch', failure.message);
    case FailureType.NotAnApprover:
      return new ApiError(403, 'not_an_approver', failure.message);
    default:
      return new ApiError(500, 'internal', failure.message);
  }
}

/** A round that has already ended answers no updates; its recorded state says what became of the approval. */
async function closedRoundVerdict(context: ApiContext, roundId: string, approvalId: string): Promise<ApiError> {
  const handle = context.client.workflow.getHandle(roundId);
  const state = await context.client.withDeadline(Date.now() + context.workerWaitMs, () => handle.query(stateQuery)).catch((error: unknown) => {
    throw toApiError(error, roundId);
  });
  const approval = state.approvals.find((entry) => entry.approvalId === approvalId);
  if (!approval) return new ApiError(404, 'approval_not_found', `Approval ${approvalId} not found`);
  return new ApiError(409, 'approval_closed', `Approval ${approvalId} is already ${approval.status}`, closedDetails(approval.status, approval.decision));
}

export async function decide(context: ApiContext, approvalId: string, approver: Approver, body: DecisionBody): Promise<DecisionOutcome> {
  const ids = parseApprovalId(approvalId);
  if (!ids) throw new ApiError(404, 'approval_not_found', `Approval ${approvalId} not found`);
  const request: DecisionRequest = {
    approvalId,
    decision: body.decision,
    approver,
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    ...(body.argsDigest === undefined ? {} : { argsDigest: body.argsDigest }),
  };
  const handle = context.client.workflow.getHandle(ids.roundId);
  try {
    const result = await context.client.withDeadline(Date.now() + context.workerWaitMs, () =>
      handle.executeUpdate(decideUpdate, { args: [request] }),
    );
    return { ...result, queued: false };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw refusal(error.cause, approvalId);
    if (isNotFound(error)) {
      const description = await handle.describe().catch(() => undefined);
      if (!description) throw new ApiError(404, 'approval_not_found', `Approval ${approvalId} not found`);
      throw await closedRoundVerdict(context, ids.roundId, approvalId);
    }
    if (!isWorkerTimeout(error)) throw error;
  }
  await handle.signal(decideSignal, request).catch((error: unknown) => {
    throw toApiError(error, ids.roundId);
  });
  return { approvalId, status: 'pending', applied: false, queued: true };
}

// Round operations on Temporal: start (idempotent), read state, cancel, load a previous transcript.
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  RequesterAttribute,
  StatusAttribute,
  WORKFLOW_TYPE,
  stateQuery,
  type ChatMessage,
  type QueryRoundInput,
  type RoundState,
} from '../workflows/contract.ts';
import type { queryRound } from '../workflows/query-round.ts';
import { ApiError } from './api-error.ts';
import type { ApiContext } from './api-context.ts';
import type { StartRoundBody } from './schemas.ts';
import { toApiError } from './temporal-errors.ts';

const SUMMARY_CHARS = 200;

/** Scoped to the principal, so two callers cannot collide on (or probe) each other's keys. */
function idempotentRoundId(principal: string, key: string): string {
  return `round-${createHash('sha256').update(`${principal}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

async function transcriptOf(context: ApiContext, roundId: string, principal: string): Promise<ChatMessage[]> {
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  const description = await handle.describe().catch((error: unknown) => {
    throw toApiError(error, roundId);
  });
  if (description.typedSearchAttributes.get(RequesterAttribute) !== principal) {
    throw new ApiError(403, 'not_your_round', `Round ${roundId} was started by someone else`);
  }
  if (description.status.name !== 'COMPLETED') {
    throw new ApiError(409, 'previous_round_not_completed', `Round ${roundId} is ${description.status.name.toLowerCase()}, not completed`);
  }
  return (await handle.result()).messages;
}

export async function startRound(
  context: ApiContext,
  principal: string,
  body: StartRoundBody,
): Promise<{ roundId: string; created: boolean }> {
  const roundId = body.idempotencyKey ? idempotentRoundId(principal, body.idempotencyKey) : `round-${randomUUID()}`;
  const messages = body.previousRoundId ? await transcriptOf(context, body.previousRoundId, principal) : body.messages;
  const input: QueryRoundInput = {
    query: body.query,
    requester: principal,
    ...(messages ? { messages } : {}),
    ...(body.servers ? { servers: body.servers } : {}),
    ...(body.maxSteps ? { maxSteps: body.maxSteps } : {}),
  };
  try {
    await context.client.workflow.start<typeof queryRound>(WORKFLOW_TYPE, {
      taskQueue: context.taskQueue,
      workflowId: roundId,
      args: [input],
      staticSummary: body.query.length > SUMMARY_CHARS ? `${body.query.slice(0, SUMMARY_CHARS)}…` : body.query,
      staticDetails: `Requested by ${principal} through the HTTP API${body.previousRoundId ? `, continuing ${body.previousRoundId}` : ''}`,
      typedSearchAttributes: [
        { key: RequesterAttribute, value: principal },
        { key: StatusAttribute, value: 'running' },
      ],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { roundId, created: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError && body.idempotencyKey) return { roundId, created: false };
    throw error;
  }
}

export async function roundState(context: ApiContext, roundId: string): Promise<RoundState> {
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  try {
    return await context.client.withDeadline(Date.now() + context.workerWaitMs, () => handle.query(stateQuery));
  } catch (error) {
    throw toApiError(error, roundId);
  }
}

export async function cancelRound(context: ApiContext, roundId: string): Promise<void> {
  const handle = context.client.workflow.getHandle(roundId);
  const description = await handle.describe().catch((error: unknown) => {
    throw toApiError(error, roundId);
  });
  if (description.status.name !== 'RUNNING') {
    throw new ApiError(409, 'round_closed', `Round ${roundId} is already ${description.status.name.toLowerCase()}`, {
      status: description.status.name.toLowerCase(),
    });
  }
  await handle.cancel();
}

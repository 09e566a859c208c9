// Round operations on Temporal: start (idempotent), read state, cancel, load a previous transcript.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
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
import { markdownName, markdownText } from '../workflows/shared/markdown-text.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApiContext } from './api-context.ts';
import { describeRound, readableRound, roundNotFound } from './round-facts.ts';
import { approverView } from './approver-scope.ts';
import type { ApproverRoundView, PartialRoundState, StartRoundBody } from '../runtime/http-api.ts';
import { isWorkerTimeout, toApiError } from './temporal-errors.ts';
import { admitRound } from './round-admission.ts';

const SUMMARY_CHARS = 200;

/** Scoped to the principal, so two callers cannot collide on (or probe) each other's keys. */
function idempotentRoundId(principal: string, key: string): string {
  return `round-${createHash('sha256').update(`${principal}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

/**
 * A previous round's conversation, for its requester or an admin. Anyone else (an approver, an auditor) is
 * told the round does not exist: continuing it would hand over every output of it.
 */
async function transcriptOf(context: ApiContext, roundId: string, principal: string): Promise<ChatMessage[]> {
  const facts = await describeRound(context, roundId);
  if (!facts || !context.access.mayContinue(principal, facts)) throw roundNotFound(roundId);
  if (facts.executionStatus !== 'completed') {
    throw new ApiError(
      409,
      'previous_round_not_completed',
      `Round ${roundId} is ${facts.executionStatus}, not completed`,
    );
  }
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  return (await handle.result()).messages;
}

/** A round the MCP gateway starts for one tools/call (docs/gateway.md): no LLM, this call its only step. */
export interface GatewayStart {
  toolCall: NonNullable<QueryRoundInput['toolCall']>;
  /** Named by the caller before the start (`mcp-<uuid>`): a resumable MCP stream's event ids carry it. */
  roundId?: string;
}

export async function startRound(
  context: ApiContext,
  principal: string,
  body: StartRoundBody,
  headers: IncomingHttpHeaders = {},
  gateway?: GatewayStart,
): Promise<{ roundId: string; created: boolean }> {
  if (body.maxSteps !== undefined && body.maxSteps > context.maxSteps) {
    throw new ApiError(
      400,
      'invalid_request',
      `maxSteps may lower the configured limit of ${context.maxSteps} steps, not raise it (asked for ${body.maxSteps})`,
    );
  }
  const roundId = body.idempotencyKey
    ? idempotentRoundId(principal, body.idempotencyKey)
    : (gateway?.roundId ?? `${gateway ? 'mcp' : 'round'}-${randomUUID()}`);
  const admission = await admitRound(context, principal, new Date(), { spendsTokens: !gateway });
  if (admission.refusal) {
    // A retry of a start that already happened answers as before (200), whatever is open now.
    if (body.idempotencyKey && (await describeRound(context, roundId))) return { roundId, created: false };
    context.limitMetrics.roundsRefused.inc({ reason: admission.refusal.reason, principal });
    throw admission.refusal;
  }
  const messages = body.previousRoundId ? await transcriptOf(context, body.previousRoundId, principal) : body.messages;
  const credentials = context.credentials?.(headers, { roundId, requester: principal }, body.servers);
  const input: QueryRoundInput = context.signer.roundInput(roundId, {
    query: body.query,
    requester: principal,
    ...(messages ? { messages } : {}),
    ...(body.servers ? { servers: body.servers } : {}),
    ...(body.maxSteps ? { maxSteps: body.maxSteps } : {}),
    ...(credentials ? { credentials } : {}),
    ...(admission.quota ? { quota: admission.quota } : {}),
    ...(gateway ? { toolCall: gateway.toolCall } : {}),
  });
  try {
    await context.client.workflow.start<typeof queryRound>(WORKFLOW_TYPE, {
      taskQueue: context.taskQueue,
      workflowId: roundId,
      args: [input],
      // Web UI renders both as Markdown: the query and the names show as text, never as links or HTML.
      staticSummary: markdownText(body.query, SUMMARY_CHARS),
      staticDetails: `Requested by ${markdownName(principal)} through the ${gateway ? 'MCP gateway' : 'HTTP API'}${body.previousRoundId ? `, continuing ${markdownName(body.previousRoundId)}` : ''}`,
      typedSearchAttributes: [
        { key: RequesterAttribute, value: principal },
        { key: StatusAttribute, value: 'running' },
      ],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { roundId, created: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError && body.idempotencyKey)
      return { roundId, created: false };
    throw error;
  }
}

/** The round's state, for a principal who may read it; needs a worker to answer the query. */
/** How long a state read waits for a round whose worker is busy (a local LLM call) before it answers partially. */
const BUSY_QUERY_MS = 200;

/**
 * The round's state, for a principal who may read it; needs a worker to answer the query. While the round's
 * worker holds its workflow task (a local LLM call, seconds long), the query would wait for it: after 200 ms
 * the answer is what the round last published instead, marked partial. An approver who reads only the
 * approvals they may decide gets those (ApproverRoundView).
 */
export async function roundState(
  context: ApiContext,
  principal: string,
  roundId: string,
): Promise<RoundState | ApproverRoundView | PartialRoundState> {
  const facts = await readableRound(context, principal, roundId);
  const handle = context.client.workflow.getHandle<typeof queryRound>(roundId);
  try {
    const state = await context.client.withDeadline(
      Date.now() + (facts.busy ? BUSY_QUERY_MS : context.workerWaitMs),
      () => handle.query(stateQuery),
    );
    return facts.scope === 'round' ? state : approverView(state, principal);
  } catch (error) {
    if (facts.busy && isWorkerTimeout(error)) {
      return {
        roundId,
        status: facts.status,
        requester: facts.requester,
        pendingApprovals: facts.pending.filter((approval) =>
          context.access.seesApproval(principal, facts.scope, approval),
        ),
        partial: true,
        why: 'the round is busy (an LLM call is running); this is what it last published: ask again for the full state',
      };
    }
    throw toApiError(error, roundId);
  }
}

/** The requester and admins may cancel; others who may read the round are refused, the rest told it does not exist. */
export async function cancelRound(context: ApiContext, principal: string, roundId: string): Promise<void> {
  const facts = await readableRound(context, principal, roundId);
  if (!context.access.mayCancel(principal, facts)) {
    throw new ApiError(403, 'not_allowed', `Only the requester of round ${roundId} or an admin may cancel it`);
  }
  if (facts.executionStatus !== 'running') {
    throw new ApiError(409, 'round_closed', `Round ${roundId} is already ${facts.executionStatus}`, {
      status: facts.executionStatus,
    });
  }
  await context.client.workflow.getHandle(roundId).cancel();
}

// GET /v1/grants and DELETE /v1/grants/{id}: a requester's remembered grants as their grants workflow holds
// them, read by its query and revoked by its update. The requester, the approver who created a grant and admins
// may revoke it; to anyone else it does not exist.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  grantsWorkflowId,
  listGrantsQuery,
  revokeGrantUpdate,
  type Grant,
  type ApprovalSummary,
  type RememberRequest,
} from '../workflows/contract.ts';
import { ApiError } from '../runtime/api-error.ts';
import { durationMs } from '../runtime/config.ts';
import { requesterOfGrant } from '../runtime/grant-ids.ts';
import type { DecisionBody, GrantListResponse, RevokeGrantResponse } from '../runtime/http-api.ts';
import type { ApiContext } from './api-context.ts';
import { isNotFound, isWorkerTimeout } from './temporal-errors.ts';

/** The config's approvals.grants, in milliseconds. */
export interface GrantSettings {
  maxTtl: number;
  defaultTtl: number;
  perRequester: number;
}

function grantsUnavailable(requester: string): ApiError {
  return new ApiError(
    503,
    'worker_unavailable',
    `No worker answered for the grants of ${requester} in time; try again`,
  );
}

function grantNotFound(grantId: string): ApiError {
  return new ApiError(404, 'grant_not_found', `Grant ${grantId} not found (revoked, expired or never made)`);
}

/**
 * The requester's live grants; none when their grants workflow is not running (it ends only once it holds none, or
 * when an operator terminates it): a closed one is not queried, since no worker may be left to answer for it.
 */
export async function liveGrants(context: ApiContext, requester: string): Promise<Grant[]> {
  const handle = context.client.workflow.getHandle(grantsWorkflowId(requester));
  try {
    const grants = await context.client.withDeadline(Date.now() + context.workerWaitMs, async () => {
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? handle.query(listGrantsQuery) : [];
    });
    const now = Date.now();
    return grants.filter((grant) => Date.parse(grant.expiresAt) > now);
  } catch (error) {
    if (isNotFound(error)) return [];
    if (isWorkerTimeout(error)) throw grantsUnavailable(requester);
    throw error;
  }
}

export async function listGrants(context: ApiContext, principal: string, of = principal): Promise<GrantListResponse> {
  if (!context.access.mayListGrants(principal, of))
    throw new ApiError(403, 'not_allowed', "Only auditors and admins may list another principal's grants");
  return { requester: of, grants: await liveGrants(context, of) };
}

export async function revokeGrant(
  context: ApiContext,
  principal: string,
  grantId: string,
): Promise<RevokeGrantResponse> {
  const requester = requesterOfGrant(grantId);
  if (!requester) throw grantNotFound(grantId);
  const grant = (await liveGrants(context, requester)).find((candidate) => candidate.grantId === grantId);
  if (!grant || !context.access.mayRevokeGrant(principal, grant)) throw grantNotFound(grantId);
  const handle = context.client.workflow.getHandle(grantsWorkflowId(requester));
  try {
    const revoked = await context.client.withDeadline(Date.now() + context.workerWaitMs, () =>
      handle.executeUpdate(revokeGrantUpdate, { args: [{ grantId, by: principal }] }),
    );
    context.grantMetrics.grantRequests.inc({ result: 'revoked' });
    return { grant: revoked, revoked: true };
  } catch (error) {
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === FailureType.GrantNotFound) throw grantNotFound(grantId);
    if (isNotFound(error)) throw grantNotFound(grantId);
    if (isWorkerTimeout(error)) throw grantsUnavailable(requester);
    throw error;
  }
}

/**
 * A decision's `remember` as the round gets it: the TTL in milliseconds, capped by maxTtl. Refused with 429 when
 * the requester already holds as many live grants as allowed (the grants workflow refuses it too, should two
 * decisions race).
 */
export async function rememberRequest(
  context: ApiContext,
  pending: Pick<ApprovalSummary, 'requester' | 'server' | 'tool'>,
  remember: NonNullable<DecisionBody['remember']>,
): Promise<RememberRequest> {
  const { requester, server, tool } = pending;
  const { maxTtl, perRequester } = context.grants;
  // Without a worker the decision is queued all the same: the grants workflow bounds the count itself.
  const held = await liveGrants(context, requester).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === 'worker_unavailable') return [];
    throw error;
  });
  if (held.length >= perRequester) {
    context.grantMetrics.grantRequests.inc({ result: 'grant_limit' });
    throw new ApiError(
      429,
      'grant_limit',
      `${requester} holds ${held.length} live grants, the most allowed (approvals.grants.perRequester: ${perRequester}); revoke one first`,
      { held: held.length, limit: perRequester },
    );
  }
  context.grantMetrics.grantRequests.inc({ result: 'remember' });
  return {
    ttlMs: Math.min(durationMs(remember.ttl), maxTtl),
    ...(remember.pattern ? { pattern: remember.pattern } : {}),
    requester,
    server,
    tool,
  };
}

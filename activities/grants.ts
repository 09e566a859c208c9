// The round's two questions to a requester's grants workflow: store the grant a decision asked for
// (update-with-start: the workflow starts with its first grant) and find a live grant covering a call.
import {
  type Client,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  addGrantUpdate,
  grantsWorkflowId,
  listGrantsQuery,
  type Grant,
  type GrantLookup,
  type GrantOrder,
} from '../workflows/contract.ts';
import { grantCovers } from '../workflows/shared/grant-match.ts';
import { markdownName } from '../workflows/shared/markdown-text.ts';
import type { requesterGrants } from '../workflows/grants/requester-grants.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { grantIdFor } from '../runtime/grant-ids.ts';

/**
 * How long a lookup waits for the grants workflow's answer: a worker that cannot answer (none polling, the
 * workflow busy) costs the requester a human approval after this, never a stalled gated call.
 */
const LOOKUP_DEADLINE_MS = 3000;

export function createGrantActivities(config: ToolgateConfig, client: Client | undefined) {
  const { maxTtl, perRequester } = config.approvals.grants;
  const taskQueue = config.temporal.taskQueue;

  async function createGrant(order: GrantOrder): Promise<Grant> {
    if (!client) throw ApplicationFailure.nonRetryable('this worker has no Temporal client for grants');
    const createdAt = new Date();
    const grant: Grant = {
      grantId: grantIdFor(order.requester, order.fromApproval),
      requester: order.requester,
      server: order.server,
      tool: order.tool,
      ...(order.remember.pattern ? { pattern: order.remember.pattern } : { argsDigest: order.argsDigest }),
      createdBy: order.createdBy,
      fromApproval: order.fromApproval,
      roundId: order.roundId,
      createdAt: createdAt.toISOString(),
      // From the decision, as its proof says (a round refuses a grant that outlives it); the API capped the TTL
      // already, a worker with a shorter maxTtl caps it again.
      expiresAt: new Date(
        Date.parse(order.proof.receivedAt ?? createdAt.toISOString()) + Math.min(order.remember.ttlMs, maxTtl),
      ).toISOString(),
      toolFingerprint: order.toolFingerprint,
      proof: order.proof,
    };
    const workflowId = grantsWorkflowId(order.requester);
    try {
      return await client.workflow.executeUpdateWithStart(addGrantUpdate, {
        args: [{ grant, limit: perRequester }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof requesterGrants>('requesterGrants', {
          workflowId,
          taskQueue,
          args: [{ requester: order.requester }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `grants of ${markdownName(order.requester)}`,
        }),
      });
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FailureType.GrantLimitReached)
        throw ApplicationFailure.create({ type: cause.type, message: cause.message, nonRetryable: true });
      throw error;
    }
  }

  async function findGrant(call: GrantLookup): Promise<Grant | null> {
    if (!client) return null;
    let grants: Grant[];
    try {
      const handle = client.workflow.getHandle(grantsWorkflowId(call.requester));
      grants = await client.withDeadline(Date.now() + LOOKUP_DEADLINE_MS, () => handle.query(listGrantsQuery));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
    const now = Date.now();
    return grants.find((grant) => grantCovers(grant, call, now)) ?? null;
  }

  return { createGrant, findGrant };
}

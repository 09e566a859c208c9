// One requester's remembered grants, as an entity workflow (id `grants/<requester>`): grants are added by the
// rounds' activities, revoked through the API, and expire on durable timers. It bounds how many it holds,
// continues as new before its history grows long, and ends once it holds none (the next grant starts it again).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { AddGrantRequest, Grant, RequesterGrantsInput, RevokeGrantRequest } from '../contract/grants.ts';
import { addGrantUpdate, listGrantsQuery, revokeGrantUpdate } from '../contract/grant-handlers.ts';
import { FailureType } from '../contract/failures.ts';

/** History events after which the workflow hands its live grants to a fresh run. */
const CONTINUE_AFTER_EVENTS = 2000;
/** How long a run holding no grant waits before it ends. */
const IDLE_LINGER_MS = 60_000;

class GrantBook {
  private readonly grants = new Map<string, Grant>();
  changed = false;

  constructor(grants: Grant[]) {
    for (const grant of grants) this.grants.set(grant.grantId, grant);
  }

  live(): Grant[] {
    return [...this.grants.values()];
  }

  get size(): number {
    return this.grants.size;
  }

  /** Refuses before the update enters history: a full book, a grant of someone else, one already ended. */
  validateAdd(requester: string, { grant, limit }: AddGrantRequest): void {
    if (grant.requester !== requester)
      throw ApplicationFailure.nonRetryable(`grant for ${grant.requester} sent to ${requester}'s grants`);
    if (this.grants.has(grant.grantId)) return;
    if (Date.parse(grant.expiresAt) <= Date.now())
      throw ApplicationFailure.nonRetryable(`grant ${grant.grantId} expired at ${grant.expiresAt}`);
    if (this.grants.size >= limit)
      throw ApplicationFailure.create({
        type: FailureType.GrantLimitReached,
        message: `${requester} holds ${this.grants.size} live grants, the most allowed (approvals.grants.perRequester: ${limit}); revoke one or let one expire`,
        nonRetryable: true,
      });
  }

  /** Adding the same grant again (an activity's retry) answers the one already held. */
  add({ grant }: AddGrantRequest): Grant {
    const held = this.grants.get(grant.grantId);
    if (held) return held;
    this.grants.set(grant.grantId, grant);
    this.changed = true;
    log.info('grant added', {
      grantId: grant.grantId,
      server: grant.server,
      tool: grant.tool,
      expiresAt: grant.expiresAt,
    });
    return grant;
  }

  validateRevoke({ grantId }: RevokeGrantRequest): void {
    if (!this.grants.has(grantId))
      throw ApplicationFailure.create({
        type: FailureType.GrantNotFound,
        message: `grant ${grantId} not found (revoked or expired)`,
        nonRetryable: true,
      });
  }

  revoke({ grantId, by }: RevokeGrantRequest): Grant {
    const grant = this.grants.get(grantId)!;
    this.grants.delete(grantId);
    this.changed = true;
    log.info('grant revoked', { grantId, by });
    return grant;
  }

  /** Drops expired grants; returns when the next one expires (undefined: none held). */
  expire(now: number): number | undefined {
    let next: number | undefined;
    for (const [grantId, grant] of this.grants) {
      const at = Date.parse(grant.expiresAt);
      if (at <= now) {
        this.grants.delete(grantId);
        log.info('grant expired', { grantId });
      } else next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }
}

export async function requesterGrants(input: RequesterGrantsInput): Promise<void> {
  const book = new GrantBook(input.grants ?? []);
  setHandler(addGrantUpdate, (request) => book.add(request), {
    validator: (request: AddGrantRequest) => book.validateAdd(input.requester, request),
  });
  setHandler(revokeGrantUpdate, (request) => book.revoke(request), {
    validator: (request: RevokeGrantRequest) => book.validateRevoke(request),
  });
  setHandler(listGrantsQuery, () => book.live().filter((grant) => Date.parse(grant.expiresAt) > Date.now()));
  const continueAfter = input.continueAfterEvents ?? CONTINUE_AFTER_EVENTS;
  for (;;) {
    const next = book.expire(Date.now());
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= continueAfter) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof requesterGrants>({ ...input, grants: book.live() });
    }
    book.changed = false;
    if (next === undefined) {
      // Holding none, it lingers a while for the update it was started with, or one just after the last ended.
      if (!(await condition(() => book.changed, IDLE_LINGER_MS)) && allHandlersFinished()) return;
      continue;
    }
    // A durable timer: a grant expires on time whether or not a worker was running when it was due.
    await condition(() => book.changed, Math.max(1, next - Date.now()));
  }
}

// A grant outlives any deploy: the entity moves to each new worker version rather than pinning an old build.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, requesterGrants);

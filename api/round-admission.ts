// Whether a principal may start one more round: its running rounds, the approvals pending in them and its LLM
// token quota, all counted from Temporal (docs/operations.md, "Limits and quotas"). Over a limit the start is
// refused with 429, Retry-After and what is open; otherwise the round carries the quota it runs under.
import type { TokenQuota } from '../workflows/contract.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApiContext } from './api-context.ts';
import { openRounds } from './open-rounds.ts';
import { tokenLimit, tokenStanding } from './token-quota.ts';

/** Ids named in a refusal: enough to act on, bounded however much is open. */
const MAX_IDS_SHOWN = 20;
/** Rounds and approvals end when their work or their human does: a guess, not a promise. */
const RETRY_AFTER_OPEN_SECONDS = 30;

export type RefusalReason = 'rounds' | 'approvals' | 'tokens';

/** A start refused by a limit: 429 with Retry-After. */
export class LimitRefusal extends ApiError {
  readonly reason: RefusalReason;
  readonly retryAfterSeconds: number;

  constructor(
    reason: RefusalReason,
    retryAfterSeconds: number,
    code: string,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(429, code, message, { ...details, retryAfterSeconds });
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type Admission = { quota?: TokenQuota; refusal?: undefined } | { refusal: LimitRefusal };

async function openLimitRefusal(context: ApiContext, principal: string): Promise<LimitRefusal | undefined> {
  const { roundsPerPrincipal, pendingApprovalsPerPrincipal } = context.limits;
  // One page the size of the limit: below it, it holds every running round and so every pending approval.
  const open = await openRounds(context, principal, roundsPerPrincipal);
  if (open.roundIds.length >= roundsPerPrincipal) {
    return new LimitRefusal(
      'rounds',
      RETRY_AFTER_OPEN_SECONDS,
      'round_limit',
      `${principal} has ${open.roundIds.length} rounds running, the limit is ${roundsPerPrincipal}: wait for one to end or cancel one`,
      { limit: roundsPerPrincipal, running: open.roundIds.length, roundIds: open.roundIds.slice(0, MAX_IDS_SHOWN) },
    );
  }
  if (open.pendingApprovalIds.length >= pendingApprovalsPerPrincipal) {
    return new LimitRefusal(
      'approvals',
      RETRY_AFTER_OPEN_SECONDS,
      'pending_approval_limit',
      `${principal}'s rounds wait for ${open.pendingApprovalIds.length} approvals, the limit is ${pendingApprovalsPerPrincipal}: ` +
        'start more once some are decided, or cancel rounds',
      {
        limit: pendingApprovalsPerPrincipal,
        pending: open.pendingApprovalIds.length,
        approvalIds: open.pendingApprovalIds.slice(0, MAX_IDS_SHOWN),
      },
    );
  }
  return undefined;
}

async function tokenAdmission(context: ApiContext, principal: string, now: Date): Promise<Admission> {
  if (tokenLimit(context, principal) === 0) return {};
  const standing = await tokenStanding(context, principal, now);
  const { period, limit, remaining, resetsAt } = standing;
  if (limit === null || remaining === null) return {};
  if (remaining > 0) return { quota: { period, limit, remaining, resetsAt } };
  return {
    refusal: new LimitRefusal(
      'tokens',
      Math.max(1, Math.ceil((Date.parse(resetsAt) - now.getTime()) / 1000)),
      'token_quota_exhausted',
      `${principal} used its ${limit} LLM tokens of this ${period}; the quota resets at ${resetsAt}`,
      { quota: standing },
    ),
  };
}

/**
 * The quota a new round of `principal` runs under, or why it may not start. With `limits.enabled: false`
 * nothing is counted: the round starts with no quota of its own. `spendsTokens: false` (an MCP gateway call, no
 * LLM): the token quota is not checked and the round carries none; the other limits hold.
 */
export async function admitRound(
  context: ApiContext,
  principal: string,
  now = new Date(),
  options: { spendsTokens?: boolean } = {},
): Promise<Admission> {
  if (!context.limits.enabled) return {};
  const [refusal, tokens] = await Promise.all([
    openLimitRefusal(context, principal),
    options.spendsTokens === false ? {} : tokenAdmission(context, principal, now),
  ]);
  return refusal ? { refusal } : tokens;
}

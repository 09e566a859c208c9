// LLM token quotas per requester and period (UTC day or month), counted from what rounds publish
// (ToolgateTokens), so they hold across API replicas and restarts. A round counts in the period it started in,
// all of it: one that runs across midnight charges the day it began.
import type { TokenQuota } from '../workflows/contract.ts';
import type { TokenStanding } from '../runtime/http-api.ts';
import { TokensAttribute } from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';
import { quoted } from './pending-approvals.ts';
import { listRounds, requesterRounds } from './requester-rounds.ts';

/** The current period: when it began and when it resets, in UTC. */
export function quotaPeriod(period: TokenQuota['period'], now: Date): { start: Date; resetsAt: Date } {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  if (period === 'month')
    return { start: new Date(Date.UTC(year, month, 1)), resetsAt: new Date(Date.UTC(year, month + 1, 1)) };
  const day = now.getUTCDate();
  return { start: new Date(Date.UTC(year, month, day)), resetsAt: new Date(Date.UTC(year, month, day + 1)) };
}

/** Tokens per period for `principal`; 0: no token quota. */
export function tokenLimit(context: ApiContext, principal: string): number {
  const { tokens } = context.limits;
  return Object.hasOwn(tokens.principals, principal) ? tokens.principals[principal]! : tokens.perPrincipal;
}

/** Tokens `principal`'s rounds started since `start` used, each as it last published. */
function tokensUsed(context: ApiContext, principal: string, start: Date): Promise<number> {
  const period =
    `${requesterRounds(context, principal)} AND StartTime >= ${quoted(start.toISOString())}` +
    ` AND ${TokensAttribute.name} > 0`;
  return context.tokenLedger.used(principal, start, (condition) =>
    listRounds(context, `${period} AND ${condition}`, 1000),
  );
}

/** What `principal` used of its quota this period and what is left (limit and remaining null: no quota). */
export async function tokenStanding(context: ApiContext, principal: string, now = new Date()): Promise<TokenStanding> {
  const { period } = context.limits.tokens;
  const { start, resetsAt } = quotaPeriod(period, now);
  const limit = tokenLimit(context, principal);
  const used = await tokensUsed(context, principal, start);
  if (limit === 0) return { period, limit: null, used, remaining: null, resetsAt: resetsAt.toISOString() };
  const remaining = Math.max(0, limit - used);
  context.limitMetrics.tokensRemaining.set({ principal }, remaining);
  return { period, limit, used, remaining, resetsAt: resetsAt.toISOString() };
}

// The requester's LLM token quota as one round holds it to: the API says what was left when the round started,
// the round asks the model nothing more once its own usage reaches that, and reports what is left at its end.
import type { AvailableQuotas, TokenQuota, Usage } from './contract.ts';
import { quotaName } from './contract/quota-name.ts';

/**
 * Since this patch, a round started with a quota stops before an LLM call the quota no longer covers. Asked only
 * of such rounds, before the first local activity; rounds before it ignored the quota (replay).
 */
export const TOKEN_QUOTA_PATCH = 'token-quota';

/** Why the model may not be asked again, or undefined while the quota covers another call. */
export function quotaExhausted(quota: TokenQuota, usage: Usage, requester: string): string | undefined {
  if (usage.totalTokens < quota.remaining) return undefined;
  return (
    `The LLM token quota of ${requester} is used up: ${quota.limit} tokens per ${quota.period}, ` +
    `${quota.remaining} were left when this round started and it has used ${usage.totalTokens}. ` +
    `The model was not asked again; the quota resets at ${quota.resetsAt}.`
  );
}

/** Tokens the requester has left after this round's usage, by quota name (as `available_quotas`). */
export function availableQuotas(quota: TokenQuota, usage: Usage): AvailableQuotas {
  return { [quotaName(quota.period)]: Math.max(0, quota.remaining - usage.totalTokens) };
}

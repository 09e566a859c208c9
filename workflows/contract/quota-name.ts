// Zod-free, so workflow code names quotas without loading the contract's schemas into every cached round.
import type { QuotaPeriod } from './quota.ts';

export function quotaName(period: QuotaPeriod): string {
  return period === 'day' ? 'tokensPerDay' : 'tokensPerMonth';
}

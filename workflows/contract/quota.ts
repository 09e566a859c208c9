// A requester's LLM token quota: what the API found left when it started the round, and what it reports back.
import { z } from 'zod';

export const QuotaPeriod = z.enum(['day', 'month']);
export type QuotaPeriod = z.infer<typeof QuotaPeriod>;

/** The quota a round runs under: it asks the model nothing once its own usage reaches `remaining`. */
export const TokenQuota = z.object({
  period: QuotaPeriod,
  /** Tokens per period for this requester. */
  limit: z.number().int().min(0),
  /** Tokens left in the period when the round started (other rounds of the requester may use some meanwhile). */
  remaining: z.number().int().min(0),
  /** When the period ends (ISO time, UTC). */
  resetsAt: z.string(),
});
export type TokenQuota = z.infer<typeof TokenQuota>;

/** Quota name → tokens left, as the round's final event and GET /v1/quota report it (`tokensPerDay`). */
export const AvailableQuotas = z.record(z.string(), z.number());
export type AvailableQuotas = z.infer<typeof AvailableQuotas>;

export { quotaName } from './quota-name.ts';

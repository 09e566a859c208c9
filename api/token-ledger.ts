// The tokens a requester's rounds used in a period, summed from visibility without listing the whole period on
// every start. A closed round's ToolgateTokens never changes, so once its close is safely visible its tokens
// are settled into a per-replica sum; each later count lists only running rounds and rounds closed since the
// settled mark. The first count of a principal and period on a replica lists them all: the sum is a cache of
// what Temporal holds, never the record.
import { quoted } from './pending-approvals.ts';
import type { ListedRound } from './requester-rounds.ts';

/**
 * Rounds that closed less than this long ago are listed again rather than settled: a close reaches visibility
 * a moment after it happens (SQL: milliseconds; Elasticsearch: its refresh interval, 1 s by default), and a
 * round seen running must still be listed once it shows as closed.
 */
export const SETTLE_AFTER_MS = 15_000;

interface Settled {
  periodStart: number;
  /** Rounds that closed before this time are in `tokens`, and no longer listed. */
  closedBefore: number;
  tokens: number;
}

/** Principals whose sums are kept; past it the oldest entry goes (it is rebuilt from visibility when needed). */
const MAX_PRINCIPALS = 10_000;

/** Lists the requester's rounds of the period that also meet `condition`. */
export type RoundLister = (condition: string) => AsyncIterable<ListedRound>;

export class TokenLedger {
  private readonly settled = new Map<string, Settled>();

  /** Tokens `principal`'s rounds started since `periodStart` used, each as it last published. */
  async used(principal: string, periodStart: Date, list: RoundLister, now = Date.now()): Promise<number> {
    const known = this.settled.get(principal);
    const from = known?.periodStart === periodStart.getTime() ? known : undefined;
    const closedBefore = from?.closedBefore ?? periodStart.getTime();
    const mark = now - SETTLE_AFTER_MS;
    let settling = 0;
    let open = 0;
    const condition = `(ExecutionStatus = "Running" OR CloseTime >= ${quoted(new Date(closedBefore).toISOString())})`;
    for await (const round of list(condition)) {
      if (round.closedAt && round.closedAt.getTime() < mark) settling += round.tokens;
      else open += round.tokens;
    }
    const tokens = (from?.tokens ?? 0) + settling;
    this.settled.delete(principal);
    this.settled.set(principal, {
      periodStart: periodStart.getTime(),
      closedBefore: Math.max(closedBefore, mark),
      tokens,
    });
    if (this.settled.size > MAX_PRINCIPALS) this.settled.delete(this.settled.keys().next().value!);
    return tokens + open;
  }
}

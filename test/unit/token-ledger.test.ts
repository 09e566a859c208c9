import { describe, expect, it } from 'vitest';
import type { ListedRound } from '../../api/requester-rounds.ts';
import { SETTLE_AFTER_MS, TokenLedger, type RoundLister } from '../../api/token-ledger.ts';

/** Visibility as the ledger's condition selects it: running rounds, and rounds closed at or after the mark. */
function visibility(rounds: ListedRound[]): { list: RoundLister; conditions: string[] } {
  const conditions: string[] = [];
  return {
    conditions,
    list: async function* (condition) {
      conditions.push(condition);
      const since = Date.parse(/CloseTime >= "([^"]+)"/.exec(condition)![1]!);
      for (const round of rounds) if (!round.closedAt || round.closedAt.getTime() >= since) yield round;
    },
  };
}

const periodStart = new Date('2026-12-06T00:00:00Z');
const at = (seconds: number) => new Date(periodStart.getTime() + seconds * 1000);

describe('token ledger', () => {
  it('lists the whole period once, then only running rounds and recent closes, counting every round once', async () => {
    const rounds: ListedRound[] = [
      { roundId: 'old', pendingApprovalIds: [], tokens: 100, closedAt: at(10) },
      { roundId: 'running', pendingApprovalIds: [], tokens: 5 },
    ];
    const { list, conditions } = visibility(rounds);
    const ledger = new TokenLedger();
    const now = at(3600).getTime();
    expect(await ledger.used('carol', periodStart, list, now)).toBe(105);
    expect(conditions[0]).toContain(`CloseTime >= "${periodStart.toISOString()}"`);

    // The running round closes; a new one closes within the settle window: both still listed, nothing lost.
    rounds[1] = { roundId: 'running', pendingApprovalIds: [], tokens: 7, closedAt: new Date(now + 1000) };
    rounds.push({ roundId: 'fresh', pendingApprovalIds: [], tokens: 3, closedAt: new Date(now + 2000) });
    expect(await ledger.used('carol', periodStart, list, now + 3000)).toBe(110);
    expect(conditions[1]).toContain(`CloseTime >= "${new Date(now - SETTLE_AFTER_MS).toISOString()}"`);

    // Long after: the two settle into the sum and the old round is no longer listed.
    const later = now + 10 * SETTLE_AFTER_MS;
    expect(await ledger.used('carol', periodStart, list, later)).toBe(110);
    expect(await ledger.used('carol', periodStart, list, later + 1000)).toBe(110);
    expect(conditions[3]).toContain(`CloseTime >= "${new Date(later - SETTLE_AFTER_MS).toISOString()}"`);
  });

  it('starts over in a new period and keeps principals apart', async () => {
    const { list } = visibility([{ roundId: 'a', pendingApprovalIds: [], tokens: 50, closedAt: at(10) }]);
    const ledger = new TokenLedger();
    const now = at(3600).getTime();
    expect(await ledger.used('carol', periodStart, list, now)).toBe(50);
    expect(await ledger.used('carol', at(86_400), visibility([]).list, now + 86_400_000)).toBe(0);
    expect(await ledger.used('bob', periodStart, visibility([]).list, now)).toBe(0);
  });
});

// The recheck scan: which rounds it nudges, how fast, and what it reports while and when it is done.
import { describe, expect, it } from 'vitest';
import { nudgeRounds, type Pace, type RecheckProgress, type WaitingRound } from '../../worker/policy-recheck.ts';
import type { ApprovalSummary } from '../../workflows/contract.ts';

/** A clock that only moves when the scan sleeps. */
function fakePace(): Pace & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

function round(roundId: string, policy?: ApprovalSummary['policy']): WaitingRound {
  return { roundId, pending: [{ policy } as ApprovalSummary] };
}

async function* listed(rounds: WaitingRound[]): AsyncGenerator<WaitingRound> {
  yield* rounds;
}

describe('policy recheck scan', () => {
  it('nudges only rounds waiting under another configuration, at most perSecond, and logs progress', async () => {
    const pace = fakePace();
    const signalled: Array<{ roundId: string; at: number }> = [];
    const reports: Array<{ progress: RecheckProgress; done: boolean }> = [];
    const rounds = [
      ...Array.from({ length: 10 }, (_, index) => round(`old-${index}`, { startedOn: 'cfg-a' })),
      round('current', { startedOn: 'cfg-b' }),
      round('rechecked', { startedOn: 'cfg-a', recheckedOn: 'cfg-b' }),
      round('unknown'),
      { roundId: 'sealed', pending: undefined },
    ];
    const result = await nudgeRounds({
      rounds: listed(rounds),
      fingerprint: 'cfg-b',
      perSecond: 4,
      pace,
      logEveryMs: 1000,
      abort: new AbortController().signal,
      signal: async (roundId) => {
        if (roundId === 'old-3') throw new Error('workflow execution already completed');
        signalled.push({ roundId, at: pace.now() });
      },
      progress: (progress, done) => reports.push({ progress, done }),
    });
    expect(result).toEqual({ seen: 14, signalled: 11, current: 2, failed: 1 });
    expect(signalled.map((entry) => entry.roundId)).not.toContain('current');
    expect(signalled.map((entry) => entry.roundId)).toContain('sealed');
    // 12 signals at 4 a second: the first at once, each next 250 ms later.
    expect(signalled.at(-1)!.at).toBe(11 * 250);
    for (let index = 1; index < signalled.length; index++)
      expect(signalled[index]!.at - signalled[index - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(reports.filter((report) => !report.done).length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1)).toEqual({ progress: result, done: true });
  });

  it('stops when aborted, reporting what it did so far', async () => {
    const abort = new AbortController();
    const rounds = Array.from({ length: 5 }, (_, index) => round(`r-${index}`, { startedOn: 'cfg-a' }));
    const result = await nudgeRounds({
      rounds: listed(rounds),
      fingerprint: 'cfg-b',
      perSecond: 1,
      pace: fakePace(),
      abort: abort.signal,
      signal: async (roundId) => {
        if (roundId === 'r-1') abort.abort();
      },
      progress: () => undefined,
    });
    expect(result).toMatchObject({ seen: 2, signalled: 2 });
  });
});

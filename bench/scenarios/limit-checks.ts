// Scenario: what the limit checks add to POST /v1/rounds. Two API processes on the same worker and server, one
// with the limits on (request budgets, running rounds and pending approvals from visibility, the token quota
// summed over the requester's rounds of the period), one with `limits.enabled: false`; starts alternate
// between them so drift in the server's load falls on both alike. Each round is let finish before the next
// start, so the running-round count stays what a calm principal has.
import { queryFor } from '../llm-script.ts';
import { TOKENS, type BenchEnv } from '../setup.ts';
import { summarize, type Summary } from '../stats.ts';

export interface LimitChecksResult {
  starts: number;
  /** Rounds of the requester in the current quota period when the scenario began (what the quota sums over). */
  roundsInPeriod: number;
  on: Summary;
  off: Summary;
}

async function startRound(apiUrl: string, tag: string): Promise<{ ms: number; roundId: string }> {
  const started = performance.now();
  const response = await fetch(`${apiUrl}/v1/rounds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.carol}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: queryFor('one-call', tag) }),
  });
  const ms = performance.now() - started;
  const body = (await response.json()) as { roundId?: string; error?: { message?: string } };
  if (response.status !== 201 || !body.roundId)
    throw new Error(`POST /v1/rounds answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return { ms, roundId: body.roundId };
}

async function roundsInPeriod(env: BenchEnv): Promise<number> {
  const midnight = new Date(new Date().toISOString().slice(0, 10)).toISOString();
  const { count } = await env.client.workflow.count(`ToolgateRequester = 'carol' AND StartTime >= '${midnight}'`);
  return count;
}

export async function limitChecks(env: BenchEnv, starts: number, warmup: number): Promise<LimitChecksResult> {
  const before = await roundsInPeriod(env);
  const samples = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < warmup + starts; i++) {
    for (const side of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const { ms, roundId } = await startRound(side === 'on' ? env.apiUrl : env.apiNoLimitsUrl, `limits-${side}-${i}`);
      if (i >= warmup) samples[side].push(ms);
      await env.client.workflow.getHandle(roundId).result();
    }
  }
  return { starts, roundsInPeriod: before, on: summarize(samples.on), off: summarize(samples.off) };
}

// Scenario: reading a round's state over HTTP while its LLM call runs (a local activity holds the round's
// workflow task for the length of the call): the API answers with what the round last published.
import { TOKENS, type BenchEnv } from '../setup.ts';
import { summarize, type Summary } from '../stats.ts';
import { sleep } from '../system.ts';

const LLM_MS = 2000;

export interface BusyReadResult {
  llmDelayMs: number;
  reads: Summary;
  partial: number;
}

export async function busyRead(env: BenchEnv, reads: number): Promise<BusyReadResult> {
  env.model.delayMs = LLM_MS;
  const latencies: number[] = [];
  let partial = 0;
  try {
    while (latencies.length < reads) {
      const handle = await env.startRound('one-call');
      await sleep(300);
      for (let i = 0; i < 5 && latencies.length < reads; i++) {
        const started = performance.now();
        const response = await fetch(`${env.apiUrl}/v1/rounds/${handle.workflowId}`, {
          headers: { authorization: `Bearer ${TOKENS.carol}` },
        });
        const body = (await response.json()) as { partial?: boolean };
        latencies.push(performance.now() - started);
        if (body.partial) partial++;
        await sleep(50);
      }
      await handle.result();
    }
  } finally {
    env.model.delayMs = 0;
  }
  return { llmDelayMs: LLM_MS, reads: summarize(latencies), partial };
}

// Scenario 3: closed-loop throughput. `concurrency` lanes each run rounds back to back until the phase's
// time is up; rounds/s = rounds completed / wall time until the last lane finished.
import { randomUUID } from 'node:crypto';
import { queryFor, type RoundShape } from '../llm-script.ts';
import { REQUESTER, trimLlmLog, type BenchEnv } from '../setup.ts';
import { round2, summarize, type Summary } from '../stats.ts';
import { cpuMs } from '../../testkit/process-stats.ts';

export interface ThroughputSide {
  rounds: number;
  seconds: number;
  roundsPerSecond: number;
  latency: Summary;
  failed: number;
  /** Share of one core each process used during the phase (100 = one core busy). */
  cpuPercent: Record<string, number>;
}

export interface ThroughputResult {
  concurrency: number;
  shape: RoundShape;
  baseline: ThroughputSide;
  toolgate: ThroughputSide;
}

export async function closedLoop(
  concurrency: number,
  durationMs: number,
  pids: Record<string, number>,
  runOne: () => Promise<void>,
): Promise<ThroughputSide> {
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await runOne();
          latencies.push(performance.now() - t0);
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpuPercent = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, Math.round((cpuMs(pid) - cpuBefore[name]!) / (seconds * 10))]),
  );
  return {
    rounds: latencies.length,
    seconds: round2(seconds),
    roundsPerSecond: round2(latencies.length / seconds),
    latency: summarize(latencies),
    failed,
    cpuPercent,
  };
}

export async function throughput(
  env: BenchEnv,
  settings: { levels: number[]; durationMs: number; shape: RoundShape },
): Promise<ThroughputResult[]> {
  env.model.delayMs = 0;
  const results: ThroughputResult[] = [];
  for (const concurrency of settings.levels) {
    process.stderr.write(
      `  throughput at concurrency ${concurrency} (${settings.shape}), ${settings.durationMs / 1000}s per system\n`,
    );
    const pids = { bench: process.pid, worker: env.worker.pid, devServer: env.devServer.pid, api: env.api.pid };
    const baseline = await closedLoop(concurrency, settings.durationMs, { bench: process.pid }, async () => {
      const roundId = `baseline-${randomUUID()}`;
      await env.baseline.runRound(roundId, { query: queryFor(settings.shape, roundId), requester: REQUESTER });
    });
    trimLlmLog(env);
    const toolgate = await closedLoop(concurrency, settings.durationMs, pids, async () => {
      const handle = await env.startRound(settings.shape);
      await handle.result();
    });
    trimLlmLog(env);
    results.push({ concurrency, shape: settings.shape, baseline, toolgate });
  }
  return results;
}

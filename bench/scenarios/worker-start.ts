// Scenario: a worker that starts small. The real worker process (worker/main.ts, as `npm start` runs it) on a
// task queue of its own: time from spawn to its "worker running" line, CPU spent until then, and its RSS after
// it sat idle; on a cold workflow-bundle cache (an empty folder: it runs webpack) and on the warm one it left.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cpuMs, processMemory } from '../../testkit/process-stats.ts';
import { spawnService } from '../../testkit/child-processes.ts';
import type { BenchEnv } from '../setup.ts';
import { summarize, type Summary } from '../stats.ts';
import { sleep } from '../system.ts';

export interface WorkerStartRun {
  cache: 'cold' | 'warm';
  /** The worker ran webpack (logged "bundled the workflow code"). */
  bundled: boolean;
  /** Spawn → the worker's "worker running" log line (its own timestamp). */
  readyMs: number;
  /** CPU time (user + system) of the process until ready. */
  cpuMsToReady: number;
  idleRssMb: number;
  peakRssMb: number;
}

export interface WorkerStartResult {
  idleSeconds: number;
  runs: WorkerStartRun[];
  cold: { readyMs: Summary; idleRssMb: Summary };
  warm: { readyMs: Summary; idleRssMb: Summary };
}

interface LogLine {
  time?: number;
  msg?: string;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return {};
      }
    });
}

async function startOnce(
  configPath: string,
  cacheDir: string,
  cache: 'cold' | 'warm',
  idleMs: number,
): Promise<WorkerStartRun> {
  const spawnedAt = Date.now();
  const worker = await spawnService({
    name: 'worker (start)',
    script: 'worker/main.ts',
    args: ['--config', configPath],
    env: { LOG_LEVEL: 'info', TOOLGATE_BUNDLE_CACHE: cacheDir },
    readyText: '"msg":"worker running"',
    timeoutMs: 120_000,
  });
  try {
    const cpuMsToReady = cpuMs(worker.pid);
    const lines = logLines(worker.output());
    const ready = lines.find((line) => line.msg === 'worker running');
    if (ready?.time === undefined) throw new Error(`no "worker running" line:\n${worker.output().slice(-2000)}`);
    await sleep(idleMs);
    const memory = processMemory(worker.pid);
    return {
      cache,
      bundled: lines.some((line) => line.msg === 'bundled the workflow code'),
      readyMs: ready.time - spawnedAt,
      cpuMsToReady,
      idleRssMb: memory?.rssMb ?? Number.NaN,
      peakRssMb: memory?.peakMb ?? Number.NaN,
    };
  } finally {
    await worker.stop('SIGTERM');
  }
}

export async function workerStart(
  env: BenchEnv,
  options: { cold: number; warm: number; idleMs: number },
): Promise<WorkerStartResult> {
  // Its own task queue: this worker takes none of the other scenarios' rounds.
  const raw = parse(readFileSync(env.configPath, 'utf8')) as { temporal: Record<string, unknown> };
  const configPath = join(env.folder, 'toolgate-start.yaml');
  writeFileSync(configPath, stringify({ ...raw, temporal: { ...raw.temporal, taskQueue: 'toolgate-bench-start' } }));
  const runs: WorkerStartRun[] = [];
  for (let cold = 0; cold < options.cold; cold++) {
    const cacheDir = mkdtempSync(join(env.folder, 'bundle-cache-'));
    try {
      runs.push(await startOnce(configPath, cacheDir, 'cold', options.idleMs));
      // The warm starts alternate with the cold ones, each on the cache its cold start left.
      for (let warm = 0; warm < Math.ceil(options.warm / options.cold); warm++)
        runs.push(await startOnce(configPath, cacheDir, 'warm', options.idleMs));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  const of = (cache: 'cold' | 'warm') => {
    const picked = runs.filter((run) => run.cache === cache);
    return {
      readyMs: summarize(picked.map((run) => run.readyMs)),
      idleRssMb: summarize(picked.map((run) => run.idleRssMb)),
    };
  };
  return { idleSeconds: options.idleMs / 1000, runs, cold: of('cold'), warm: of('warm') };
}

// Machine facts for the report, concurrency and progress helpers for the scenarios.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { setTimeout as sleepFor } from 'node:timers/promises';

export const sleep = (ms: number): Promise<void> => sleepFor(ms);

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  node: string;
  temporalCli: string;
  temporalSdk: string;
  mcpSdk: string;
}

export function machineInfo(temporalBinary: string): MachineInfo {
  let temporalCli = 'unknown';
  try {
    temporalCli = execFileSync(temporalBinary, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^temporal version /, '');
  } catch {
    // keep unknown
  }
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    temporalCli,
    temporalSdk: packageVersion('@temporalio/worker'),
    mcpSdk: packageVersion('@modelcontextprotocol/sdk'),
  };
}

/** Runs `task` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapConcurrent<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** A progress printer for long phases: at most one line every `everyMs`. */
export function progress(label: string, total: number, everyMs = 5000): (done: number) => void {
  let last = Date.now();
  const started = last;
  return (done) => {
    const now = Date.now();
    if (done < total && now - last < everyMs) return;
    last = now;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    process.stderr.write(`  ${label}: ${done}/${total} (${rate.toFixed(0)}/s)\n`);
  };
}

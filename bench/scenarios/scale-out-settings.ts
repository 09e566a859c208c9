// The scale-out scenario's settings from the command line, and how the report describes its setup.
import { z } from 'zod';
import type { MachineInfo } from '../system.ts';

export interface ScaleOutSettings {
  /** One cluster (and PostgreSQL database) per count: the count is fixed when the database is made. */
  historyShards: number[];
  /** Toolgate worker processes on the one task queue, per cell. */
  workers: number[];
  durationMs: number;
  warmupMs: number;
}

const CountList = z
  .string()
  .transform((text) => text.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part))))
  .pipe(z.array(z.number().int().min(1).max(64)).min(1))
  .refine((counts) => new Set(counts).size === counts.length, 'each count once');

const Seconds = z.coerce.number().int().min(1).max(600);

function parsed<T>(schema: z.ZodType<T>, text: string, flag: string, expected: string): T {
  const result = schema.safeParse(text);
  if (!result.success) throw new Error(`--${flag} takes ${expected}: got "${text}"`);
  return result.data;
}

export function scaleOutSettings(flags: {
  historyShards?: string | undefined;
  workers?: string | undefined;
  seconds?: string | undefined;
  quick: boolean;
}): ScaleOutSettings {
  const counts = 'comma-separated counts from 1 to 64, each once (e.g. 1,4)';
  return {
    historyShards: parsed(CountList, flags.historyShards ?? '1,4', 'history-shards', counts),
    workers: parsed(CountList, flags.workers ?? '1,2', 'workers', counts),
    durationMs:
      parsed(Seconds, flags.seconds ?? (flags.quick ? '3' : '15'), 'throughput-seconds', 'whole seconds, 1 to 600') *
      1000,
    warmupMs: flags.quick ? 1000 : 3000,
  };
}

export function describeScaleOut(machine: MachineInfo): { cluster: string; worker: string } {
  return {
    cluster:
      `Cluster: scripts/temporal-cluster.ts, temporal-server ${machine.temporalCli} as four processes (frontend, ` +
      'history, matching, worker) on PostgreSQL (fsync on) with mTLS, one cluster per history shard count; ' +
      `the machine's ${machine.cpus} CPUs run all of it, the workers and the bench, so more workers or shards ` +
      'cannot add cores, only spread the same ones.',
    worker:
      'Worker: child processes (bench/worker-child.ts = createToolgateWorker, prebuilt bundle, default tuning) on one ' +
      'task queue, started fresh per cell after a warm-up.',
  };
}

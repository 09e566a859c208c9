// A toolgate worker process for the benchmarks: the real createToolgateWorker (same activities, MCP pool,
// workflow code) with a prebuilt workflow bundle and optional tuning, so that its memory is its own.
// `node bench/worker-child.ts --config F --bundle F [--tuning JSON]`; prints `READY {effective options}`.
import { parseArgs } from 'node:util';
import { loadConfig } from '../runtime/config.ts';
import { connectToTemporal } from '../runtime/temporal-connection.ts';
import { createToolgateWorker, type WorkerTuning } from '../worker/create-worker.ts';
import { createLogger } from '../runtime/logger.ts';
import { installTemporalRuntime } from '../worker/temporal-logging.ts';
import { startTracing } from '../runtime/tracing.ts';

const logger = createLogger('bench-worker');
installTemporalRuntime(logger);
// Traced as the real worker is: when the OTEL_* variables say so.
const tracing = startTracing('toolgate-bench-worker');

const { values } = parseArgs({
  options: { config: { type: 'string' }, bundle: { type: 'string' }, tuning: { type: 'string' } },
});
const config = loadConfig(values.config!);
const tuning = JSON.parse(values.tuning ?? '{}') as WorkerTuning;
// As the real worker connects: TLS and mTLS from `temporal.tls` (the scale-out scenario's cluster).
const { connection } = await connectToTemporal(config.temporal);
const { worker, pool, promote } = await createToolgateWorker({
  config,
  connection,
  logger,
  ...(values.bundle ? { workflowBundle: { codePath: values.bundle } } : {}),
  tuning,
  tracing,
});
process.on('SIGTERM', () => worker.shutdown());
// SIGHUP (SIGUSR2 is one of the Temporal runtime's shutdown signals): report this process's memory (main isolate heap, external, RSS), for the bench's diagnostics.
process.on('SIGHUP', () => {
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
  const before = process.memoryUsage();
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage();
  process.stdout.write(
    `MEMORY ${JSON.stringify({ rss: mb(before.rss), heapUsed: mb(before.heapUsed), heapTotal: mb(before.heapTotal), external: mb(before.external), arrayBuffers: mb(before.arrayBuffers), heapUsedAfterGc: mb(after.heapUsed), rssAfterGc: mb(after.rss) })}\n`,
  );
});
const options = worker.options;
const effective = {
  maxCachedWorkflows: options.maxCachedWorkflows,
  workflowTaskSlots: options.tuner.workflowTaskSlotSupplier,
  activityTaskSlots: options.tuner.activityTaskSlotSupplier,
  workflowTaskPollers: options.workflowTaskPollerBehavior,
  activityTaskPollers: options.activityTaskPollerBehavior,
  nonStickyToStickyPollRatio: options.nonStickyToStickyPollRatio,
  stickyQueueScheduleToStartTimeoutMs: options.stickyQueueScheduleToStartTimeoutMs,
  reuseV8Context: options.reuseV8Context,
  heapLimitMb: Math.round((await import('node:v8')).getHeapStatistics().heap_size_limit / 2 ** 20),
};
const running = worker.run();
await promote();
process.stdout.write(`READY ${JSON.stringify(effective)}\n`);
try {
  await running;
} finally {
  await pool.close();
  await connection.close();
  await tracing?.shutdown();
}

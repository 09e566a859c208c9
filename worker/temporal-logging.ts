import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { ToolgateConfig } from '../runtime/config.ts';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Hours-long waits for a human need buckets far beyond Temporal's defaults. */
const DECISION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 43_200, 86_400];

/**
 * The ids an operator searches logs by, at the top of each line: the round (Temporal's workflow id), the
 * approval, the trace; the rest of Temporal's context stays under `temporal`.
 */
export function logFields(meta: LogEntry['meta']): Record<string, unknown> {
  if (!meta) return {};
  const { workflowId, approvalId, trace_id: traceId, span_id: spanId, trace_flags: _flags, ...temporal } = meta;
  return {
    ...(typeof workflowId === 'string' ? { roundId: workflowId } : {}),
    ...(typeof approvalId === 'string' ? { approvalId } : {}),
    ...(typeof traceId === 'string' ? { traceId, spanId } : {}),
    temporal,
  };
}

/**
 * Installs the Temporal runtime of the process: the SDK's own logs (worker state, bundler, failures) and
 * those of workflows and activities (approvals opened and closed, tool calls settled) through our JSON logger and, when `worker.metrics` is set, a Prometheus endpoint with the SDK's worker metrics and
 * toolgate's domain metrics, in seconds, counters ending in `_total`.
 */
export function installTemporalRuntime(logger: Logger, metrics?: ToolgateConfig['worker']['metrics']): void {
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'INFO') as keyof typeof LEVELS;
  Runtime.install({
    logger: new DefaultLogger(level, (entry: LogEntry) => {
      logger[LEVELS[entry.level]](logFields(entry.meta), entry.message);
    }),
    ...(metrics
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: `${metrics.host}:${metrics.port}`,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
                histogramBucketOverrides: { toolgate_approval_decision_seconds: DECISION_BUCKETS },
              },
            },
          },
        }
      : {}),
  });
}

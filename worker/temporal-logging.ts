import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Sends the Temporal SDK's own logs (worker state, bundler, failures) through our JSON logger. */
export function routeTemporalLogs(logger: Logger): void {
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? 'WARN') as keyof typeof LEVELS;
  Runtime.install({
    logger: new DefaultLogger(level, (entry: LogEntry) => {
      logger[LEVELS[entry.level]]({ temporal: entry.meta }, entry.message);
    }),
  });
}

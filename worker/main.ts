// The worker process: `npm run worker -- --config toolgate.yaml`.
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig } from './config.ts';
import { createToolgateWorker } from './create-worker.ts';
import { createLogger } from './logger.ts';
import { routeTemporalLogs } from './temporal-logging.ts';

const logger = createLogger('toolgate-worker');
routeTemporalLogs(logger);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configPath = values.config ?? process.env.TOOLGATE_CONFIG ?? 'config/toolgate.yaml';
  const config = loadConfig(configPath);
  const address = process.env.TEMPORAL_ADDRESS ?? config.temporal.address;
  const connection = await NativeConnection.connect({ address });
  const { worker, pool } = await createToolgateWorker({ config, connection, logger });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing running activities');
      worker.shutdown();
    });
  }
  logger.info(
    { address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, servers: pool.serverNames() },
    'worker running',
  );
  try {
    await worker.run();
  } finally {
    await pool.close();
    await connection.close();
  }
  logger.info('worker stopped');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.error({ err: error }, 'worker failed');
  }
  process.exit(1);
});

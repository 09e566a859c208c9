// The worker process: `npm run worker -- --config toolgate.yaml`.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../runtime/config.ts';
import { TemporalConnectionError, connectWithConfig } from '../runtime/temporal-connection.ts';
import { createToolgateWorker } from './create-worker.ts';
import { createLogger } from '../runtime/logger.ts';
import { configPath, onStopSignal } from '../runtime/process-lifecycle.ts';
import { installTemporalRuntime } from './temporal-logging.ts';
import { startTracing, TracingConfigError } from '../runtime/tracing.ts';

const logger = createLogger('toolgate-worker');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const loaded = loadConfig(configPath(values.config));
  installTemporalRuntime(logger, loaded.worker.metrics);
  const tracing = startTracing('toolgate-worker');
  const { config, connection, target } = await connectWithConfig(loaded);
  const address = target.address;
  const { worker, pool, live, version, promote, fingerprint, recheck } = await createToolgateWorker({
    config,
    connection,
    logger,
    tracing,
  });
  onStopSignal((signal) => {
    logger.info({ signal }, 'shutting down: finishing running activities');
    void recheck()?.stop();
    worker.shutdown();
  });
  const running = worker.run();
  try {
    await promote();
    logger.info(
      {
        address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        servers: pool.serverNames(),
        live: live.url,
        config: fingerprint,
        ...(config.worker.metrics
          ? { metrics: `http://${config.worker.metrics.host}:${config.worker.metrics.port}/metrics` }
          : {}),
        ...(tracing ? { tracing: tracing.summary } : {}),
        ...(version
          ? {
              deployment: version.deploymentName,
              buildId: version.buildId,
              current: config.temporal.deployment.promote,
            }
          : {}),
      },
      'worker running',
    );
    await running;
  } catch (error) {
    worker.shutdown();
    await running.catch(() => undefined);
    throw error;
  } finally {
    await Promise.all([pool.close(), live.close()]);
    await connection.close();
    await tracing?.shutdown();
  }
  logger.info('worker stopped');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TemporalConnectionError || error instanceof TracingConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    logger.error({ err: error }, 'worker failed');
  }
  process.exit(1);
});

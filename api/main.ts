// The API process: `npm run api -- --config toolgate.yaml`.
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { ConfigError, loadConfig } from '../runtime/config.ts';
import { TemporalConnectionError, connectWithConfig } from '../runtime/temporal-connection.ts';
import { createLogger } from '../runtime/logger.ts';
import { startTracing, TracingConfigError } from '../runtime/tracing.ts';
import { configPath, onStopSignal } from '../runtime/process-lifecycle.ts';
import { dataConverterFor } from '../runtime/payload-codec.ts';
import { createApi } from './create-api.ts';

const logger = createLogger('toolgate-api');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, port: { type: 'string' } } });
  const tracing = startTracing('toolgate-api');
  const { config, connection, target } = await connectWithConfig(loadConfig(configPath(values.config)));
  const address = target.address;
  const port = values.port === undefined ? config.api.port : Number(values.port);
  const dataConverter = dataConverterFor(config.codec);
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  if (config.api.tokens.length === 0)
    logger.warn('no API tokens configured: every request except /healthz and /metrics gets 401');
  const api = await createApi({ config, client, logger, port, traced: tracing !== undefined });
  const url = await api.listen(config.api.host, port);
  if (config.slack) {
    logger.info(
      { receiver: config.slack.socketMode ? 'socket mode' : `${url}/slack/events` },
      'Slack approvals enabled',
    );
  }
  logger.info(
    { url, openapi: `${url}/openapi.json`, temporal: address, ...(tracing ? { tracing: tracing.summary } : {}) },
    'API listening',
  );
  onStopSignal((signal) => {
    logger.info({ signal }, 'shutting down');
    void api
      .close()
      .then(() => connection.close())
      .then(() => tracing?.shutdown())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TemporalConnectionError || error instanceof TracingConfigError)
    process.stderr.write(`${error.message}\n`);
  else logger.error({ err: error }, 'API failed');
  process.exit(1);
});

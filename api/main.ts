// The API process: `npm run api -- --config toolgate.yaml`.
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { ConfigError, loadConfig } from '../runtime/config.ts';
import { TemporalConnectionError, connectWithConfig } from '../runtime/temporal-connection.ts';
import { createLogger } from '../runtime/logger.ts';
import { startTracing, TracingConfigError } from '../runtime/tracing.ts';
import { configPath, onStopSignal } from '../runtime/process-lifecycle.ts';
import { AccessPolicy } from './access.ts';
import { createAuthenticator } from './auth.ts';
import { createMetrics } from './metrics.ts';
import type { ApiContext } from './api-context.ts';
import { dataConverterFor, loadCodecKeys } from '../runtime/payload-codec.ts';
import { createCredentialIntake } from './user-credentials.ts';
import { buildApiServer } from './server.ts';
import { createSlackDesk } from './slack-desk.ts';
import { createSlackIntegration } from '../slack/interactivity.ts';

const logger = createLogger('toolgate-api');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, port: { type: 'string' } } });
  const tracing = startTracing('toolgate-api');
  const { config, connection, target } = await connectWithConfig(loadConfig(configPath(values.config)));
  const address = target.address;
  const port = values.port === undefined ? config.api.port : Number(values.port);
  const dataConverter = dataConverterFor(config.codec);
  const codec = dataConverter?.payloadCodecs[0];
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    ...(tracing ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {}),
  });
  if (config.api.tokens.length === 0)
    logger.warn('no API tokens configured: every request except /healthz and /metrics gets 401');
  const context: ApiContext = {
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    links: {
      apiUrl: config.api.publicUrl ?? `http://${config.api.host}:${port}`,
      webUiUrl: config.api.webUiUrl,
      namespace: config.temporal.namespace,
    },
    workerWaitMs: 5000,
    access: new AccessPolicy(config.api.roles),
    credentials: createCredentialIntake(config.servers, config.codec ? loadCodecKeys(config.codec.keys) : []),
  };
  const slack = config.slack
    ? createSlackIntegration({ slack: config.slack, desk: createSlackDesk(context), logger })
    : undefined;
  const app = await buildApiServer({
    context,
    authenticate: createAuthenticator(config.api.tokens),
    metrics: createMetrics(),
    logger,
    maxQueryChars: config.api.maxQueryChars,
    publicMetrics: config.api.publicMetrics,
    ...(codec ? { codec: { codec, allowedOrigins: [new URL(config.api.webUiUrl).origin] } } : {}),
    slackRoutes: slack?.routes,
    traced: tracing !== undefined,
  });
  const url = await app.listen({ host: config.api.host, port });
  if (slack) {
    await slack.start();
    logger.info(
      { receiver: config.slack?.socketMode ? 'socket mode' : `${url}/slack/events` },
      'Slack approvals enabled',
    );
  }
  logger.info(
    { url, openapi: `${url}/openapi.json`, temporal: address, ...(tracing ? { tracing: tracing.summary } : {}) },
    'API listening',
  );
  onStopSignal((signal) => {
    logger.info({ signal }, 'shutting down');
    void app
      .close()
      .then(() => slack?.stop())
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

// The API's wiring from its config, once: the process (api/main.ts), the tests and the benchmark all build the
// server here, so what they exercise is what runs.
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { metricsArePublic, rememberTtl, type ToolgateConfig } from '../runtime/config.ts';
import { EncryptionCodec, loadCodecKeys } from '../runtime/payload-codec.ts';
import { loadSigner, type Signer } from '../runtime/signing.ts';
import { createSlackIntegration, type SlackIntegration } from '../slack/interactivity.ts';
import { AccessPolicy } from './access.ts';
import type { ApiContext } from './api-context.ts';
import { createAuthenticator } from './auth.ts';
import { LiveWorkers } from './live-workers.ts';
import { createMetrics } from './metrics.ts';
import { buildApiServer } from './server.ts';
import { createSlackDesk } from './slack-desk.ts';
import { ConsoleAuth } from './ui/console-auth.ts';
import { SessionCookies } from './ui/session-cookie.ts';
import { TokenLedger } from './token-ledger.ts';
import { createCredentialIntake } from './user-credentials.ts';

/** How long the API waits for a worker to answer before it falls back (a queued decision, a 503). */
const WORKER_WAIT_MS = 5000;

export interface ApiOptions {
  config: ToolgateConfig;
  /** Connected to the config's namespace, with the config's data converter: its codec serves /codec/decode. */
  client: Client;
  logger: Logger;
  /** The port it will listen on, for links when `api.publicUrl` is not set. */
  port?: number;
  /** A span per request (tracing is on in this process). */
  traced?: boolean;
  workerWaitMs?: number;
}

export interface Api {
  app: FastifyInstance;
  /** Listens, then connects Slack (Socket Mode); the URL it listens on. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

/** Console sessions signed with a key derived from the API's signing key, so every replica accepts them. */
function consoleAuth(config: ToolgateConfig, signer: Signer): ConsoleAuth {
  const { ui, tokens } = config.api;
  return new ConsoleAuth({
    cookies: new SessionCookies(signer.derivedKey('console session v1'), ui.sessionTtl),
    principals: new Set(tokens.map((entry) => entry.principal)),
    identityHeader: ui.identityHeader,
    trustedProxies: ui.trustedProxies,
  });
}

export async function createApi(options: ApiOptions): Promise<Api> {
  const { config, client, logger } = options;
  const port = options.port ?? config.api.port;
  const signer = loadSigner(config.signing);
  const keys = config.codec ? loadCodecKeys(config.codec.keys) : [];
  const codec = client.options.loadedDataConverter.payloadCodecs.find((item) => item instanceof EncryptionCodec);
  if (config.codec && !codec) throw new Error('config.codec is set, but the Temporal client has no EncryptionCodec');
  const credentials = createCredentialIntake(config.servers, keys);
  const metrics = createMetrics();
  const context: ApiContext = {
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    links: {
      apiUrl: config.api.publicUrl ?? `http://${config.api.host}:${port}`,
      webUiUrl: config.api.webUiUrl,
      namespace: config.temporal.namespace,
    },
    workerWaitMs: options.workerWaitMs ?? WORKER_WAIT_MS,
    maxSteps: config.round.maxSteps,
    access: new AccessPolicy(config.api.roles),
    signer,
    limits: config.limits,
    limitMetrics: metrics,
    tokenLedger: new TokenLedger(),
    grants: config.approvals.grants,
    grantMetrics: metrics,
    gateway: config.api.gateway,
    liveWorkers: new LiveWorkers({
      client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
    }),
    ...(credentials ? { credentials } : {}),
  };
  const slack: SlackIntegration | undefined = config.slack
    ? createSlackIntegration({
        slack: config.slack,
        desk: createSlackDesk(context),
        logger,
        ...(config.api.ui.enabled
          ? {
              approvalPage: (approvalId: string) =>
                `${context.links.apiUrl}/ui/approvals/${encodeURIComponent(approvalId)}`,
            }
          : {}),
        rememberTtlMs: rememberTtl(config),
      })
    : undefined;
  const app = await buildApiServer({
    context,
    authenticate: createAuthenticator(config.api.tokens),
    metrics,
    logger,
    maxQueryChars: config.api.maxQueryChars,
    limits: config.limits,
    publicMetrics: metricsArePublic(config.api),
    ...(codec ? { codec: { codec, allowedOrigins: [new URL(config.api.webUiUrl).origin] } } : {}),
    slackRoutes: slack?.routes,
    traced: options.traced === true,
    ...(config.api.ui.enabled ? { console: consoleAuth(config, signer) } : {}),
  });
  return {
    app,
    async listen(host, listenPort) {
      const url = await app.listen({ host, port: listenPort });
      await slack?.start();
      return url;
    },
    async close() {
      await app.close();
      await slack?.stop();
    },
  };
}

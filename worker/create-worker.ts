// Builds a worker from a config: MCP pool, LLM client and activities wired together. Used by the worker
// process and by tests, which hand in a prebuilt workflow bundle.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createLlmClient } from '../activities/llm-client.ts';
import { createActivities } from '../activities/index.ts';
import { LiveHub } from '../activities/live-hub.ts';
import { createSlackNotifier } from '../slack/notifier.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { buildIdOf, deploymentOptions, makeCurrentVersion } from '../runtime/deployment.ts';
import { identityWithLiveUrl } from '../runtime/live-identity.ts';
import { dataConverterFor } from '../runtime/payload-codec.ts';
import { loadPublicKeys } from '../runtime/signing.ts';
import type { Tracing } from '../runtime/tracing.ts';
import { cachedWorkflowBundle } from '../runtime/workflow-bundle-cache.ts';
import { rememberTtl } from '../runtime/config.ts';
import { workflowSpanSinks } from '../runtime/workflow-span-sink.ts';
import { McpClientPool } from '../mcp/client-pool.ts';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { activityTracing } from './tracing-interceptors.ts';
import { configFingerprint } from '../runtime/config-fingerprint.ts';
import { startPolicyRecheck, type PolicyRecheck } from './policy-recheck.ts';
import { slackEditing } from './slack-editing.ts';

/** Worker tuning knobs (cache size, slots, pollers); what is omitted keeps toolgate's defaults. */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'workflowTaskPollerBehavior'
    | 'activityTaskPollerBehavior'
    | 'nonStickyToStickyPollRatio'
    | 'stickyQueueScheduleToStartTimeout'
  >
>;

export interface ToolgateWorker {
  worker: Worker;
  pool: McpClientPool;
  /** Serves the model's text of this worker's LLM calls as it streams; its URL is in the worker's identity. */
  live: LiveServer;
  /** The Worker Deployment version this worker polls as (undefined when versioning is off). */
  version: { deploymentName: string; buildId: string } | undefined;
  /** Once the worker runs: makes its version current when the config says so (`temporal.deployment.promote`). */
  promote: () => Promise<void>;
  /** Fingerprint of the policy-relevant configuration this worker runs with (runtime/config-fingerprint.ts). */
  fingerprint: string;
  /** The nudge of rounds waiting under another configuration, started when the worker runs (approvals.recheck). */
  recheck: () => PolicyRecheck | undefined;
  /**
   * Stops polling, waits for the worker's run() to settle (running activities get the shutdown grace time, then
   * are cancelled), then closes MCP connections and the live server. Waits at most grace time plus {@link CANCEL_SETTLE_MS}.
   */
  close(): Promise<void>;
}

/** How long running activities may go on once shutdown starts; the SDK cancels them after it. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long close() allows cancelled activities to settle after the grace time. */
const CANCEL_SETTLE_MS = 5_000;

export async function createToolgateWorker(options: {
  config: ToolgateConfig;
  connection: NativeConnection;
  logger: Logger;
  workflowBundle?: WorkflowBundleOption;
  taskQueue?: string;
  tuning?: WorkerTuning;
  /** Spans of activities and of the workflow sandbox go here; without it they are dropped. */
  tracing?: Tracing;
}): Promise<ToolgateWorker> {
  const { config, connection, logger } = options;
  // Before the bundle is built: a worker without keys fails at once (closed), not at its first round.
  const keys = loadPublicKeys(config.signing);
  const deployment = config.temporal.deployment;
  // Loaded here rather than by Worker.create, so that the bundle's content can name the version.
  const workflowBundle = options.workflowBundle ?? {
    code: (await cachedWorkflowBundle(logger, config.worker.bundleCache)).code,
  };
  const buildId =
    deployment.buildId ??
    buildIdOf('code' in workflowBundle ? workflowBundle.code : readFileSync(workflowBundle.codePath, 'utf8'));
  const workerDeploymentOptions = deploymentOptions(deployment, buildId);
  const pool = new McpClientPool(config.servers, logger);
  const llm = createLlmClient(config.llm);
  const dataConverter = dataConverterFor(config.codec);
  const hub = new LiveHub();
  const live = await startLiveServer({ hub, settings: config.worker.live, keys, logger });
  // Callers run the worker themselves (run(), runUntil()); close() needs that promise to know when it is done.
  let running: Promise<void> | undefined;
  const fingerprint = configFingerprint(config);
  let recheck: PolicyRecheck | undefined;
  const startRecheck = () => {
    if (!config.approvals.recheck.enabled) return;
    const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      ...(dataConverter ? { dataConverter } : {}),
    });
    recheck = startPolicyRecheck({
      client,
      namespace: config.temporal.namespace,
      taskQueue,
      fingerprint,
      perSecond: config.approvals.recheck.perSecond,
      logger,
    });
  };
  const worker = await Worker.create({
    connection,
    // API replicas find this worker's live server among the task queue's pollers by it.
    identity: identityWithLiveUrl(`${process.pid}@${hostname()}`, live.url),
    namespace: config.temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowBundle,
    ...(workerDeploymentOptions ? { workerDeploymentOptions } : {}),
    activities: createActivities({
      config,
      connections: pool,
      llm,
      live: hub,
      notifier: config.slack
        ? createSlackNotifier(
            config.slack,
            { webUiUrl: config.api.webUiUrl, namespace: config.temporal.namespace },
            slackEditing(config),
            rememberTtl(config),
          )
        : undefined,
      client: new Client({
        connection,
        namespace: config.temporal.namespace,
        ...(dataConverter ? { dataConverter } : {}),
      }),
    }),
    sinks: workflowSpanSinks(options.tracing),
    ...(options.tracing ? { interceptors: { activity: [activityTracing] } } : {}),
    plugins: [
      {
        name: 'toolgate-run-watch',
        runWorker: (self, next) => {
          running = next(self);
          // Polling has started: the rounds it nudges find a worker to re-check them.
          startRecheck();
          return running;
        },
      },
    ],
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
    maxCachedWorkflows: config.worker.cachedRounds,
    ...options.tuning,
  });
  const version = workerDeploymentOptions?.version;
  return {
    worker,
    pool,
    live,
    version,
    fingerprint,
    recheck: () => recheck,
    promote: async () => {
      if (version && deployment.promote) {
        await makeCurrentVersion(connection, config.temporal.namespace, version.deploymentName, version.buildId);
      }
    },
    async close() {
      await recheck?.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      if (running) {
        let timer: NodeJS.Timeout | undefined;
        // Whoever ran the worker sees run()'s error; here only its end matters.
        const stopped = await Promise.race([
          running.then(
            () => true,
            () => true,
          ),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS + CANCEL_SETTLE_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!stopped)
          logger.warn('worker still running activities after the shutdown grace time; closing MCP connections');
      }
      await Promise.all([pool.close(), live.close()]);
    },
  };
}

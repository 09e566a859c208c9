// Builds a worker from a config: MCP pool, LLM client and activities wired together. Used by the worker
// process and by tests, which hand in a prebuilt workflow bundle.
import { readFileSync } from 'node:fs';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createLlmClient } from '../activities/llm-client.ts';
import { createActivities } from '../activities/index.ts';
import { createSlackNotifier } from '../slack/notifier.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { buildIdOf, deploymentOptions, makeCurrentVersion } from '../runtime/deployment.ts';
import { dataConverterFor } from '../runtime/payload-codec.ts';
import type { Tracing } from '../runtime/tracing.ts';
import { bundleWorkflows } from '../runtime/workflow-bundle.ts';
import { workflowSpanSinks } from '../runtime/workflow-span-sink.ts';
import { McpClientPool } from '../mcp/client-pool.ts';
import { activityTracing } from './tracing-interceptors.ts';

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
  /** The Worker Deployment version this worker polls as (undefined when versioning is off). */
  version: { deploymentName: string; buildId: string } | undefined;
  /** Once the worker runs: makes its version current when the config says so (`temporal.deployment.promote`). */
  promote: () => Promise<void>;
  /** Stops polling, waits for running activities, then closes MCP connections. */
  close(): Promise<void>;
}

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
  const deployment = config.temporal.deployment;
  // Bundled here rather than by Worker.create, so that the bundle's content can name the version.
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflows(logger));
  const buildId =
    deployment.buildId ??
    buildIdOf('code' in workflowBundle ? workflowBundle.code : readFileSync(workflowBundle.codePath, 'utf8'));
  const workerDeploymentOptions = deploymentOptions(deployment, buildId);
  const pool = new McpClientPool(config.servers, logger);
  const llm = createLlmClient(config.llm);
  const dataConverter = dataConverterFor(config.codec);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowBundle,
    ...(workerDeploymentOptions ? { workerDeploymentOptions } : {}),
    activities: createActivities({
      config,
      connections: pool,
      llm,
      notifier: config.slack
        ? createSlackNotifier(config.slack, { webUiUrl: config.api.webUiUrl, namespace: config.temporal.namespace })
        : undefined,
    }),
    sinks: workflowSpanSinks(options.tracing),
    ...(options.tracing ? { interceptors: { activity: [activityTracing] } } : {}),
    shutdownGraceTime: '10 seconds',
    maxCachedWorkflows: config.worker.cachedRounds,
    ...options.tuning,
  });
  const version = workerDeploymentOptions?.version;
  return {
    worker,
    pool,
    version,
    promote: async () => {
      if (version && deployment.promote) {
        await makeCurrentVersion(connection, config.temporal.namespace, version.deploymentName, version.buildId);
      }
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await pool.close();
    },
  };
}

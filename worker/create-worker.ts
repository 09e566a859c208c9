// Builds a worker from a config: MCP pool, LLM client and activities wired together. Used by the worker
// process and by tests, which hand in a prebuilt workflow bundle.
import { fileURLToPath } from 'node:url';
import { type NativeConnection, Worker, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createLlmClient } from '../activities/llm-client.ts';
import { createActivities } from '../activities/index.ts';
import { createSlackNotifier } from '../slack/notifier.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { McpClientPool } from './mcp-client-pool.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

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
}): Promise<ToolgateWorker> {
  const { config, connection, logger } = options;
  const pool = new McpClientPool(config.servers, logger);
  const llm = createLlmClient(config.llm);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({
      config,
      connections: pool,
      llm,
      notifier: config.slack
        ? createSlackNotifier(config.slack, { webUiUrl: config.api.webUiUrl, namespace: config.temporal.namespace })
        : undefined,
    }),
    shutdownGraceTime: '10 seconds',
    ...options.tuning,
  });
  return {
    worker,
    pool,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await pool.close();
    },
  };
}

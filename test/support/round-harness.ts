// A real worker (unique task queue) against the shared dev server, the scripted LLM and real MCP servers.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createLogger } from '../../runtime/logger.ts';
import { connectToTemporal } from '../../runtime/temporal-connection.ts';
import { parseConfig, type ToolgateConfig } from '../../runtime/config.ts';
import { workflowSpanSinks } from '../../runtime/workflow-span-sink.ts';
import { createToolgateWorker, type ToolgateWorker } from '../../worker/create-worker.ts';
import { stateQuery, type ApprovalRecord, type QueryRoundInput } from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import {
  routeByMarker,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { TEST_SIGNING, testSigner } from '../../testkit/signing.ts';

// The SDK logs every worker state change at INFO; tests want errors only (expected failures are asserted).
Runtime.install({ logger: new DefaultLogger('ERROR') });

export type RoundHandle = WorkflowHandle<typeof queryRound>;

export interface Harness {
  client: Client;
  connection: NativeConnection;
  config: ToolgateConfig;
  llm: ScriptedLlmServer;
  /** LLM scripts keyed by a marker that each test puts in its query. */
  routes: Record<string, LlmScript>;
  worker?: ToolgateWorker;
  /** Starts a round as the API would: input signed for this round id and now. */
  start(input: Partial<QueryRoundInput> & { query: string }): Promise<RoundHandle>;
  roundIds: string[];
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  replayRounds(): Promise<number>;
  close(): Promise<void>;
}

export function workflowBundle(): { code: string } {
  return { code: readFileSync(inject('workflowBundlePath'), 'utf8') };
}

export async function startHarness(options: {
  servers: unknown[];
  approvals?: Record<string, unknown>;
  round?: Record<string, unknown>;
  slack?: Record<string, unknown>;
  /** More `llm` settings (e.g. `stream: false`); base URL and model are the scripted server's. */
  llm?: Record<string, unknown>;
  worker?: boolean;
  /** A Temporal server of the test's own; the run's shared one by default. */
  temporalAddress?: string;
}): Promise<Harness> {
  const address = options.temporalAddress ?? inject('temporalAddress');
  const routes: Record<string, LlmScript> = {};
  const llm = await startScriptedLlmServer(routeByMarker(routes));
  const taskQueue = `toolgate-test-${randomUUID()}`;
  const config = parseConfig(
    {
      temporal: { address, taskQueue },
      llm: { ...options.llm, baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice', 'bob'], ...options.approvals },
      round: options.round ?? {},
      servers: options.servers,
      slack: options.slack,
      signing: TEST_SIGNING,
    },
    'test harness',
  );
  const { connection } = await connectToTemporal(config.temporal);
  const client = new Client({ connection });
  const logger = createLogger('test-worker');
  logger.level = process.env.LOG_LEVEL ?? 'warn';
  const bundle = workflowBundle();
  let running: Promise<void> | undefined;
  const roundIds: string[] = [];

  const harness: Harness = {
    client,
    connection,
    config,
    llm,
    routes,
    roundIds,
    async start(input) {
      const roundId = `round-${randomUUID()}`;
      roundIds.push(roundId);
      return client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId: roundId,
        args: [testSigner.roundInput(roundId, { requester: 'carol', ...input })],
        staticSummary: input.query,
      });
    },
    async startWorker() {
      harness.worker = await createToolgateWorker({ config, connection, logger, workflowBundle: bundle });
      running = harness.worker.worker.run();
      await harness.worker.promote();
    },
    async stopWorker() {
      await harness.worker?.close();
      await running;
      harness.worker = undefined;
      running = undefined;
    },
    async replayRounds() {
      const histories = roundIds.map(async (workflowId) => ({
        workflowId,
        history: await client.workflow.getHandle(workflowId).fetchHistory(),
      }));
      let replayed = 0;
      for await (const result of Worker.runReplayHistories(
        { workflowBundle: bundle, sinks: workflowSpanSinks(undefined) },
        await Promise.all(histories),
      )) {
        if (result.error) throw new Error(`replay of ${result.workflowId} failed: ${result.error.message}`);
        replayed++;
      }
      return replayed;
    },
    async close() {
      await harness.stopWorker();
      await connection.close();
      await llm.close();
    },
  };
  if (options.worker !== false) await harness.startWorker();
  return harness;
}

/** Waits until the round has at least `count` pending approvals (tests only: queries are cheap here). */
export async function waitForPendingApprovals(
  handle: RoundHandle,
  count = 1,
  timeoutMs = 20_000,
): Promise<ApprovalRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(stateQuery);
    const pending = state.approvals.filter((approval) => approval.status === 'pending');
    if (pending.length >= count) return pending;
    if (Date.now() > deadline)
      throw new Error(`round ${handle.workflowId} has ${pending.length} pending approvals, wanted ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

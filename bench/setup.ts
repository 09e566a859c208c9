// Everything one bench invocation runs: a Temporal dev server (temp SQLite file), the scripted LLM and the
// MCP test server (Streamable HTTP) in this process, a toolgate worker and an API instance as child
// processes, a Temporal client, and the in-process baseline executor over the same activities.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createLlmClient } from '../activities/llm-client.ts';
import { createActivities } from '../activities/index.ts';
import {
  DURABLE_SQLITE_PRAGMAS,
  DYNAMIC_CONFIG,
  startDevServer,
  type DevServer,
  type DevServerOptions,
} from '../scripts/dev-server.ts';
import { freePort } from '../scripts/ports.ts';
import { ensureTemporalBinary } from '../scripts/temporal-binary.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../testkit/mcp-test-server.ts';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../testkit/scripted-llm-server.ts';
import { parseConfig, type ToolgateConfig } from '../runtime/config.ts';
import { type WorkerTuning } from '../worker/create-worker.ts';
import { cachedWorkflowBundle } from '../runtime/workflow-bundle-cache.ts';
import { createLogger } from '../runtime/logger.ts';
import { McpClientPool } from '../mcp/client-pool.ts';
import { WORKFLOW_TYPE } from '../workflows/contract.ts';
import type { queryRound } from '../workflows/query-round.ts';
import type { bareRound } from './bare/workflows.ts';
import { BaselineExecutor } from './baseline-executor.ts';
import { benchModel, queryFor, type BenchModel, type RoundShape } from './llm-script.ts';
import { recordMcpCalls, type McpRecorder } from '../testkit/mcp-recorder.ts';
import { startOtlpSink, type OtlpSink } from './otlp-sink.ts';
import { healthy, spawnService, type ChildService } from '../testkit/child-processes.ts';
import { TEST_SIGNING, testSigner } from '../testkit/signing.ts';

export const TOKENS = { alice: 'alice-bench-token-0123456789', carol: 'carol-bench-token-0123456789' } as const;
export const REQUESTER = 'carol';
export const APPROVER = 'alice';

export interface EnvOptions {
  tuning: WorkerTuning;
  /** SQLite journal_mode=WAL, synchronous=OFF (allowed for latency runs by perf-anchors.md; never for durability). */
  fastSqlite: boolean;
  /** Extra dev-server dynamic config (on top of eager activity execution). */
  dynamicConfig?: Record<string, unknown>;
  /** NODE_OPTIONS for the worker process (e.g. a heap limit). */
  workerNodeOptions?: string;
  log: (line: string) => void;
}

const TRACED_TASK_QUEUE = 'toolgate-bench-traced';

export interface BenchEnv {
  folder: string;
  devServer: DevServer;
  devServerArgs: { dbFilename: string; sqlitePragmas: Record<string, string>; dynamicConfig: Record<string, unknown> };
  llm: ScriptedLlmServer;
  model: BenchModel;
  mcp: HttpMcpServer;
  recorder: McpRecorder;
  config: ToolgateConfig;
  /** The YAML file of `config`, which the worker and API children read. */
  configPath: string;
  worker: ChildService;
  workerOptions: Record<string, unknown>;
  api: ChildService;
  apiUrl: string;
  /** The same API with `limits.enabled: false`, for the limit-checks scenario. */
  apiNoLimitsUrl: string;
  connection: NativeConnection;
  client: Client;
  baseline: BaselineExecutor;
  temporalBinary: string;
  /** Starts a round on the worker, or with `traced` on the second worker, which exports spans to `otlpSink`. */
  startRound(shape: RoundShape, traced?: boolean): Promise<WorkflowHandle<typeof queryRound>>;
  otlpSink: OtlpSink;
  /** Runs bare Temporal of the round's shape (bench/bare): the same activities, no toolgate code. */
  runBareRound(toolSteps: number[], llmDelayMs: number, workflowId?: string): Promise<number>;
  /** Restarts the worker child (e.g. to measure a fresh process). */
  restartWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchEnv(options: EnvOptions): Promise<BenchEnv> {
  const { log } = options;
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-bench-'));
  const temporalBinary = await ensureTemporalBinary({ log });
  const sqlitePragmas: Record<string, string> = options.fastSqlite
    ? { journal_mode: 'wal', synchronous: 'off' }
    : DURABLE_SQLITE_PRAGMAS;
  const devServerOptions: DevServerOptions = {
    dbFilename: join(folder, 'temporal.sqlite'),
    ui: false,
    logOutput: join(folder, 'temporal.log'),
    sqlitePragmas,
    dynamicConfig: options.dynamicConfig ?? {},
  };
  log(
    `starting Temporal dev server (SQLite ${devServerOptions.dbFilename}${options.fastSqlite ? ', WAL + synchronous=OFF' : ''})`,
  );
  const devServer = await startDevServer(devServerOptions);

  const model = benchModel();
  const llm = await startScriptedLlmServer(model.script);
  const mcp = await startHttpMcpServer({ name: 'k8s' });
  const recorder = recordMcpCalls(mcp.calls);
  const apiPort = await freePort();
  const noLimitsPort = await freePort();
  const rawConfig = {
    temporal: { address: devServer.address, taskQueue: 'toolgate-bench' },
    llm: { baseURL: llm.baseURL, model: 'scripted' },
    approvals: { approvers: [APPROVER], timeout: '1h' },
    signing: TEST_SIGNING,
    api: {
      host: '127.0.0.1',
      port: apiPort,
      tokens: Object.entries(TOKENS).map(([principal, token]) => ({ principal, token })),
    },
    // Every check runs, but nothing the benchmark does is refused: the scenarios start thousands of rounds.
    limits: {
      requests: { start: { perMinute: 1e6, burst: 1e6 }, read: { perMinute: 1e6, burst: 1e6 } },
      roundsPerPrincipal: 1e6,
      pendingApprovalsPerPrincipal: 1e6,
      tokens: { perPrincipal: 1e12 },
      streams: { perPrincipal: 1e4, total: 1e4 },
    },
    servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }],
  };
  const configPath = join(folder, 'toolgate.yaml');
  writeFileSync(configPath, stringify(rawConfig));
  const config = parseConfig(rawConfig, configPath);

  log('loading the workflow bundle (bundled once per set of inputs)');
  const logger = createLogger('bench-baseline');
  logger.level = 'warn';
  const bundle = await cachedWorkflowBundle(logger);
  const bundlePath = join(folder, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const startWorker = async (): Promise<ChildService> =>
    spawnService({
      name: 'worker',
      script: 'bench/worker-child.ts',
      args: ['--config', configPath, '--bundle', bundlePath, '--tuning', JSON.stringify(options.tuning)],
      env: { LOG_LEVEL: 'warn', NODE_OPTIONS: options.workerNodeOptions ?? '' },
      readyText: 'READY ',
      timeoutMs: 60_000,
    });
  log('starting worker and API (child processes)');
  let worker = await startWorker();
  const workerOptions = JSON.parse(worker.linesStartingWith('READY ')[0]!.slice('READY '.length)) as Record<
    string,
    unknown
  >;
  // The same worker with tracing on, on a queue of its own: the round benchmark's traced column.
  const otlpSink = await startOtlpSink();
  const tracedConfigPath = join(folder, 'toolgate-traced.yaml');
  writeFileSync(
    tracedConfigPath,
    stringify({ ...rawConfig, temporal: { ...rawConfig.temporal, taskQueue: TRACED_TASK_QUEUE } }),
  );
  const tracedWorker = await spawnService({
    name: 'traced worker',
    script: 'bench/worker-child.ts',
    args: ['--config', tracedConfigPath, '--bundle', bundlePath, '--tuning', JSON.stringify(options.tuning)],
    env: {
      LOG_LEVEL: 'warn',
      NODE_OPTIONS: options.workerNodeOptions ?? '',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    },
    readyText: 'READY ',
    timeoutMs: 60_000,
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = await spawnService({
    name: 'api',
    script: 'api/main.ts',
    args: ['--config', configPath],
    env: { LOG_LEVEL: 'warn' },
    readyProbe: () => healthy(apiUrl),
    timeoutMs: 30_000,
  });

  const noLimitsUrl = `http://127.0.0.1:${noLimitsPort}`;
  const noLimitsConfigPath = join(folder, 'toolgate-no-limits.yaml');
  writeFileSync(
    noLimitsConfigPath,
    stringify({ ...rawConfig, api: { ...rawConfig.api, port: noLimitsPort }, limits: { enabled: false } }),
  );
  const apiNoLimits = await spawnService({
    name: 'api (limits off)',
    script: 'api/main.ts',
    args: ['--config', noLimitsConfigPath],
    env: { LOG_LEVEL: 'warn' },
    readyProbe: () => healthy(noLimitsUrl),
    timeoutMs: 30_000,
  });

  const bareTaskQueue = 'bare-bench';
  const bareWorker = await spawnService({
    name: 'bare worker',
    script: 'bench/bare/worker.ts',
    args: ['--address', devServer.address, '--task-queue', bareTaskQueue],
    env: { NODE_OPTIONS: options.workerNodeOptions ?? '' },
    readyText: 'READY ',
    timeoutMs: 60_000,
  });

  const connection = await NativeConnection.connect({ address: devServer.address });
  const client = new Client({ connection });

  const pool = new McpClientPool(config.servers, logger);
  const openai = createLlmClient(config.llm);
  const baseline = new BaselineExecutor(createActivities({ config, connections: pool, llm: openai }));

  const env: BenchEnv = {
    folder,
    devServer,
    devServerArgs: {
      dbFilename: devServerOptions.dbFilename!,
      sqlitePragmas,
      dynamicConfig: { ...DYNAMIC_CONFIG, ...options.dynamicConfig },
    },
    llm,
    model,
    mcp,
    recorder,
    config,
    configPath,
    get worker() {
      return worker;
    },
    workerOptions,
    api,
    apiUrl,
    apiNoLimitsUrl: noLimitsUrl,
    connection,
    client,
    baseline,
    temporalBinary,
    otlpSink,
    startRound(shape, traced = false) {
      const roundId = `bench-${shape}-${randomUUID()}`;
      return client.workflow.start<typeof queryRound>(WORKFLOW_TYPE, {
        taskQueue: traced ? TRACED_TASK_QUEUE : config.temporal.taskQueue,
        workflowId: roundId,
        args: [testSigner.roundInput(roundId, { query: queryFor(shape, roundId), requester: REQUESTER })],
      });
    },
    async runBareRound(toolSteps, llmDelayMs, workflowId = `bare-${randomUUID()}`) {
      return client.workflow.execute<typeof bareRound>('bareRound', {
        taskQueue: bareTaskQueue,
        workflowId,
        args: [{ toolSteps, llmDelayMs }],
      });
    },
    async restartWorker() {
      await worker.stop('SIGTERM');
      worker = await startWorker();
    },
    async close() {
      await worker.stop('SIGTERM').catch(() => undefined);
      await api.stop('SIGTERM').catch(() => undefined);
      await apiNoLimits.stop('SIGTERM').catch(() => undefined);
      await bareWorker.stop('SIGTERM').catch(() => undefined);
      await tracedWorker.stop('SIGTERM').catch(() => undefined);
      await otlpSink.close();
      await pool.close();
      await connection.close();
      await llm.close();
      await mcp.close();
      await devServer.stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return env;
}

/** Keeps the scripted LLM server's request log from growing over a long run. */
export function trimLlmLog(env: BenchEnv): void {
  env.llm.requests.length = 0;
}

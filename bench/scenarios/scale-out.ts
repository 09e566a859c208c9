// Scenario `scale-out` (opt-in: `--only scale-out`, never part of --quick or a full run): the throughput
// scenario's closed loop (one-call rounds, LLM 0 ms) against the real multi-service cluster of
// scripts/temporal-cluster.ts (PostgreSQL, mTLS, four services) for each history shard count and number of
// toolgate worker processes. The shard count is fixed when a cluster's database is made, so each count gets
// a cluster (and PostgreSQL) of its own; worker processes are started fresh for every cell.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { stringify } from 'yaml';
import { parseConfig, type ToolgateConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { connectToTemporal } from '../../runtime/temporal-connection.ts';
import { cachedWorkflowBundle } from '../../runtime/workflow-bundle-cache.ts';
import { startTemporalCluster, type TemporalCluster } from '../../scripts/temporal-cluster.ts';
import { builtTemporalServerBinaries } from '../../scripts/temporal-binary.ts';
import { spawnService, type ChildService } from '../../testkit/child-processes.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { cpuMs, treeCpuMs } from '../../testkit/process-stats.ts';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../../testkit/scripted-llm-server.ts';
import { TEST_SIGNING, testSigner } from '../../testkit/signing.ts';
import { WORKFLOW_TYPE } from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { benchModel, queryFor } from '../llm-script.ts';
import { APPROVER, REQUESTER } from '../setup.ts';
import { round2, type Summary } from '../stats.ts';
import type { ScaleOutSettings } from './scale-out-settings.ts';
import { closedLoop } from './throughput.ts';

export const SCALE_OUT_CONCURRENCY = 16;
const SHAPE = 'one-call';
const TASK_QUEUE = 'toolgate-scale-out';
const PROGRESS_MS = 5000;

export interface ScaleOutCell {
  historyShards: number;
  workers: number;
  rounds: number;
  seconds: number;
  roundsPerSecond: number;
  latency: Summary;
  failed: number;
  /** 1-, 5- and 15-minute load averages when the cell started (the machine is shared). */
  loadBefore: number[];
  /**
   * Share of one core during the measured phase (100 = one core busy): each toolgate worker (`worker 1`, ...),
   * their sum `workers`, the four Temporal services, PostgreSQL with its backends, the bench process (client,
   * scripted LLM, MCP server) and `total`.
   */
  cpuPercent: Record<string, number>;
  /**
   * CPU time per completed round (all processes above; the toolgate workers alone): the cost of a round, which
   * the other work on a shared machine changes far less than it changes rounds/s.
   */
  cpuMsPerRound: { total: number; workers: number };
}

export interface ScaleOutResult {
  concurrency: number;
  shape: typeof SHAPE;
  cells: ScaleOutCell[];
}

interface Shared {
  llm: ScriptedLlmServer;
  mcp: HttpMcpServer;
  bundlePath: string;
  folder: string;
  log: (line: string) => void;
}

function writeConfig(shared: Shared, cluster: TemporalCluster): { path: string; config: ToolgateConfig } {
  const { certificates: tls } = cluster;
  const raw = {
    temporal: {
      address: cluster.address,
      namespace: cluster.namespace,
      taskQueue: TASK_QUEUE,
      tls: {
        serverCA: tls.ca,
        clientCert: tls.clientCert,
        clientKey: tls.clientKey,
        serverName: tls.serverName,
      },
    },
    llm: { baseURL: shared.llm.baseURL, model: 'scripted' },
    approvals: { approvers: [APPROVER], timeout: '1h' },
    signing: TEST_SIGNING,
    servers: [{ name: 'k8s', transport: 'http', url: shared.mcp.url, trusted: true }],
  };
  const path = join(shared.folder, `toolgate-${randomUUID()}.yaml`);
  writeFileSync(path, stringify(raw));
  return { path, config: parseConfig(raw, path) };
}

function startWorkers(shared: Shared, configPath: string, count: number): Promise<ChildService[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      spawnService({
        name: `worker ${index + 1}`,
        script: 'bench/worker-child.ts',
        args: ['--config', configPath, '--bundle', shared.bundlePath],
        env: { LOG_LEVEL: 'warn' },
        readyText: 'READY ',
        timeoutMs: 60_000,
      }),
    ),
  );
}

async function measureCell(
  shared: Shared,
  cluster: TemporalCluster,
  client: Client,
  configPath: string,
  historyShards: number,
  workerCount: number,
  settings: ScaleOutSettings,
): Promise<ScaleOutCell> {
  const { log } = shared;
  log(`  ${historyShards} shard(s), ${workerCount} worker(s): starting the worker process(es)`);
  const workers = await startWorkers(shared, configPath, workerCount);
  try {
    let completed = 0;
    const runRound = async (): Promise<void> => {
      const roundId = `scale-out-${randomUUID()}`;
      const handle = await client.workflow.start<typeof queryRound>(WORKFLOW_TYPE, {
        taskQueue: TASK_QUEUE,
        workflowId: roundId,
        args: [testSigner.roundInput(roundId, { query: queryFor(SHAPE, roundId), requester: REQUESTER })],
      });
      await handle.result();
      completed++;
    };
    log(`  warm-up ${settings.warmupMs / 1000} s at concurrency ${SCALE_OUT_CONCURRENCY}`);
    const warmup = await closedLoop(SCALE_OUT_CONCURRENCY, settings.warmupMs, {}, runRound);
    if (warmup.rounds === 0) {
      throw new Error(`no round completed during the warm-up:\n${workers.map((w) => w.output()).join('\n')}`);
    }
    shared.llm.requests.length = 0;
    const loadBefore = loadavg().map(round2);
    const pids: Record<string, number> = {
      bench: process.pid,
      ...Object.fromEntries(workers.map((worker) => [worker.name, worker.pid])),
      ...cluster.pids(),
    };
    const cpuNow = (): Record<string, number> => ({ ...cpuOf(pids), postgres: treeCpuMs(cluster.postgres.pid) });
    const before = cpuNow();
    log(`  measuring ${settings.durationMs / 1000} s (load ${loadBefore.join(' ')})`);
    completed = 0;
    const ticker = setInterval(() => log(`    ${completed} rounds so far`), PROGRESS_MS);
    const side = await closedLoop(SCALE_OUT_CONCURRENCY, settings.durationMs, {}, runRound).finally(() =>
      clearInterval(ticker),
    );
    const after = cpuNow();
    const usedMs: Record<string, number> = Object.fromEntries(
      Object.keys(after).map((name) => [name, after[name]! - before[name]!]),
    );
    usedMs.workers = workers.reduce((sum, worker) => sum + usedMs[worker.name]!, 0);
    usedMs.total = Object.keys(after).reduce((sum, name) => sum + usedMs[name]!, 0);
    const cpuPercent = Object.fromEntries(
      Object.entries(usedMs).map(([name, ms]) => [name, Math.round(ms / (side.seconds * 10))]),
    );
    log(`  ${side.roundsPerSecond} rounds/s, p50 ${side.latency.p50.toFixed(1)} ms, ${side.failed} failed`);
    return {
      historyShards,
      workers: workerCount,
      rounds: side.rounds,
      seconds: side.seconds,
      roundsPerSecond: side.roundsPerSecond,
      latency: side.latency,
      failed: side.failed,
      loadBefore,
      cpuPercent,
      cpuMsPerRound: {
        total: round2(usedMs.total / side.rounds),
        workers: round2(usedMs.workers / side.rounds),
      },
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop('SIGTERM')));
  }
}

function cpuOf(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
}

/** The temporal-server binary; a clear error instead of a minutes-long build inside a benchmark. */
export async function temporalServerBinary(): Promise<string> {
  const built = await builtTemporalServerBinaries();
  if (!built) {
    throw new Error(
      'scale-out needs the Temporal server binaries (temporal-server and its SQL tool): run `npm run setup:cluster` first',
    );
  }
  return built.server;
}

export async function scaleOut(settings: ScaleOutSettings, log: (line: string) => void): Promise<ScaleOutResult> {
  const model = benchModel();
  model.delayMs = 0;
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-scale-out-'));
  const llm = await startScriptedLlmServer(model.script);
  const mcp = await startHttpMcpServer({ name: 'k8s' });
  const cells: ScaleOutCell[] = [];
  let cluster: TemporalCluster | undefined;
  // Worker children die with us (spawnService), but a kill of this process alone would leave the four services
  // and PostgreSQL running.
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`  ${signal}: stopping the cluster`);
    void (cluster?.stop() ?? Promise.resolve()).finally(() => {
      rmSync(folder, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log('  loading the workflow bundle');
    const logger = createLogger('bench-scale-out');
    logger.level = 'warn';
    const bundlePath = join(folder, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await cachedWorkflowBundle(logger)).code);
    const shared: Shared = { llm, mcp, bundlePath, folder, log };
    for (const historyShards of settings.historyShards) {
      log(`  starting the cluster with ${historyShards} history shard(s): PostgreSQL, schemas, 4 services, mTLS`);
      const clusterFolder = join(folder, `cluster-${historyShards}-shards`);
      cluster = await startTemporalCluster({ folder: clusterFolder, historyShards, log: (line) => log(`    ${line}`) });
      let connection: NativeConnection | undefined;
      try {
        const { path: configPath, config } = writeConfig(shared, cluster);
        connection = (await connectToTemporal(config.temporal)).connection;
        const client = new Client({ connection, namespace: cluster.namespace });
        for (const workers of settings.workers) {
          cells.push(await measureCell(shared, cluster, client, configPath, historyShards, workers, settings));
        }
      } finally {
        await connection?.close();
        log(`  stopping the ${historyShards}-shard cluster`);
        await cluster.stop();
        cluster = undefined;
        rmSync(clusterFolder, { recursive: true, force: true });
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await llm.close();
    await mcp.close();
    rmSync(folder, { recursive: true, force: true });
  }
  return { concurrency: SCALE_OUT_CONCURRENCY, shape: SHAPE, cells };
}

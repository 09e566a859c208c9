// `npm run bench [-- --quick] [--only round,decision,throughput,pending,limits,streaming,gateway,start] [--tuning JSON] [--fast-sqlite] [--out F]`
// `npm run bench -- --only scale-out [--history-shards 1,4] [--workers 1,2] [--throughput-seconds S]` (opt-in, runs alone)
//
// Runs every scenario on the in-process baseline and on toolgate (worker + API child processes, Temporal dev
// server on a temp SQLite file) in the same invocation; prints markdown tables and writes the JSON document
// to bench/results/<mode>.json (or --out).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { WorkerTuning } from '../worker/create-worker.ts';
import { SHAPES, type RoundShape } from './llm-script.ts';
import { targetsOf, toMarkdown, type BenchResult } from './report.ts';
import { decisionLatency } from './scenarios/decision-latency.ts';
import { gatewayOverhead } from './scenarios/gateway.ts';
import { pendingApprovals } from './scenarios/pending-approvals.ts';
import { busyRead } from './scenarios/busy-read.ts';
import { limitChecks } from './scenarios/limit-checks.ts';
import { roundLatency } from './scenarios/round-latency.ts';
import { streaming } from './scenarios/streaming.ts';
import { throughput } from './scenarios/throughput.ts';
import { SCALE_OUT_CONCURRENCY, scaleOut, temporalServerBinary } from './scenarios/scale-out.ts';
import { describeScaleOut, scaleOutSettings } from './scenarios/scale-out-settings.ts';
import { startBenchEnv } from './setup.ts';
import { workerStart } from './scenarios/worker-start.ts';
import { machineInfo } from './system.ts';

const SCENARIOS = ['round', 'decision', 'throughput', 'pending', 'limits', 'streaming', 'gateway', 'start'] as const;
// Never part of a default run: each starts Temporal clusters of its own (minutes, and more than CI's budget).
const OPT_IN = ['scale-out'] as const;
type Scenario = (typeof SCENARIOS)[number] | (typeof OPT_IN)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    tuning: { type: 'string' },
    'fast-sqlite': { type: 'boolean', default: false },
    out: { type: 'string' },
    pending: { type: 'string' },
    decisions: { type: 'string' },
    rounds: { type: 'string' },
    'throughput-seconds': { type: 'string' },
    'throughput-shape': { type: 'string' },
    levels: { type: 'string' },
    'dynamic-config': { type: 'string' },
    'worker-node-options': { type: 'string' },
    'history-shards': { type: 'string' },
    workers: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: npm run bench -- [--quick] [--only round,decision,throughput,pending,limits,streaming,gateway,start] [--tuning JSON] [--fast-sqlite]\n' +
      '                      [--out FILE] [--pending N] [--decisions N] [--rounds N] [--throughput-seconds S] [--throughput-shape one-call|three-step]\n' +
      '                      [--levels 1,16,64] [--dynamic-config JSON (extra dev-server dynamic config)] [--worker-node-options OPTS]\n' +
      '       npm run bench -- --only scale-out [--history-shards 1,4] [--workers 1,2] [--throughput-seconds S] [--out FILE]\n' +
      '                      opt-in, runs alone: one-call rounds/s at concurrency 16 on the multi-service cluster (PostgreSQL,\n' +
      '                      mTLS; needs `npm run setup:cluster`), one cluster per history shard count; default out\n' +
      '                      bench/results/scale-out.json (scale-out-quick.json with --quick)',
  );
  process.exit(0);
}

const mode = values.quick ? 'quick' : 'full';
const only = new Set<Scenario>(values.only ? (values.only.split(',') as Scenario[]) : SCENARIOS);
const known: readonly Scenario[] = [...SCENARIOS, ...OPT_IN];
for (const name of only)
  if (!known.includes(name)) throw new Error(`unknown scenario ${name}; use ${known.join(', ')}`);
if (only.has('scale-out') && only.size > 1) throw new Error('scale-out runs alone: --only scale-out');
const int = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number.parseInt(value, 10);
const settings = {
  roundRounds: int(values.rounds, values.quick ? 10 : 200),
  roundWarmup: values.quick ? 2 : 10,
  llmDelays: [0, 50],
  decisions: int(values.decisions, values.quick ? 20 : 500),
  throughputLevels: values.levels ? values.levels.split(',').map(Number) : [1, 16, 64],
  throughputMs: int(values['throughput-seconds'], values.quick ? 2 : 15) * 1000,
  throughputShape: (values['throughput-shape'] ?? 'one-call') as RoundShape,
  pendingRounds: int(values.pending, values.quick ? 100 : 10_000),
  limitStarts: values.quick ? 30 : 200,
  streamRounds: int(values.rounds, values.quick ? 20 : 100),
  gatewayCalls: int(values.rounds, values.quick ? 20 : 200),
  gatewayWarmup: values.quick ? 3 : 10,
  gatewayGated: int(values.decisions, values.quick ? 5 : 50),
  startCold: values.quick ? 1 : 3,
  startWarm: values.quick ? 2 : 6,
  // Past the 10 s the SDK keeps its main-isolate copy of the evaluated bundle (parseWorkflowCode).
  startIdleMs: values.quick ? 15_000 : 20_000,
};
const tuning = JSON.parse(values.tuning ?? '{}') as WorkerTuning;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function writeResult(final: BenchResult, defaultOut: string): void {
  const out = resolve(values.out ?? defaultOut);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(final, null, 2)}\n`);
  console.log(toMarkdown(final));
  log(`\nJSON: ${out}`);
}

// The bench process's own Temporal runtime (client connection) logs warnings only.
Runtime.install({ logger: new DefaultLogger('WARN') });

const startedAt = new Date();
const clock = performance.now();
if (only.has('scale-out')) {
  const scale = scaleOutSettings({
    historyShards: values['history-shards'],
    workers: values.workers,
    seconds: values['throughput-seconds'],
    quick: values.quick,
  });
  log(
    `== scale-out: concurrency ${SCALE_OUT_CONCURRENCY}, history shards ${scale.historyShards.join(', ')} x ` +
      `workers ${scale.workers.join(', ')}, ${scale.durationMs / 1000} s per cell`,
  );
  try {
    const server = machineInfo(await temporalServerBinary());
    // No CLI runs here: the version the report shows is the cluster's server.
    const machine = { ...server, temporalCli: `none (temporal-server ${server.temporalCli})` };
    const result: Omit<BenchResult, 'targets'> = {
      kind: 'toolgate-bench',
      mode,
      startedAt: startedAt.toISOString(),
      machine,
      settings: { ...scale, throughputShape: SHAPES['one-call'].text, ...describeScaleOut(server) },
      scaleOut: await scaleOut(scale, log),
      durationSeconds: (performance.now() - clock) / 1000,
    };
    writeResult({ ...result, targets: [] }, `bench/results/scale-out${values.quick ? '-quick' : ''}.json`);
    process.exit(0);
  } catch (error) {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  }
}
const dynamicConfig = JSON.parse(values['dynamic-config'] ?? '{}') as Record<string, unknown>;
const workerNodeOptions = values['worker-node-options'] ?? '';
const env = await startBenchEnv({ tuning, fastSqlite: values['fast-sqlite'], dynamicConfig, workerNodeOptions, log });
let exitCode = 0;
try {
  const partial: Omit<BenchResult, 'targets' | 'durationSeconds'> = {
    kind: 'toolgate-bench',
    mode,
    startedAt: startedAt.toISOString(),
    machine: machineInfo(env.temporalBinary),
    settings: {
      ...settings,
      roundShape: SHAPES['three-step'].text,
      throughputShape: SHAPES[settings.throughputShape].text,
      devServer:
        `Dev server: temporal server start-dev, SQLite file in a temp folder` +
        (values['fast-sqlite']
          ? ', pragmas journal_mode=WAL and synchronous=OFF (latency settings, not durable)'
          : `, pragmas ${JSON.stringify(env.devServerArgs.sqlitePragmas)} (durable: every commit fsync'd)`) +
        `, dynamic config ${JSON.stringify(env.devServerArgs.dynamicConfig)}.`,
      worker:
        `Worker: child process (bench/worker-child.ts = createToolgateWorker, prebuilt bundle)` +
        `${workerNodeOptions ? `, NODE_OPTIONS=${workerNodeOptions}` : ''}; tuning ${JSON.stringify(tuning)}; effective ${JSON.stringify(env.workerOptions)}.`,
      api: 'API: child process (api/main.ts), LOG_LEVEL=warn; the bench, scripted LLM and MCP server share one process.',
      baseline:
        'Baseline: in-process loop in the bench process, same activities (createActivities, McpClientPool, OpenAI client) in MockActivityEnvironment, approvals as in-memory promises.',
      tuning,
      workerNodeOptions,
      fastSqlite: values['fast-sqlite'],
      devServerArgs: env.devServerArgs,
      workerEffective: env.workerOptions,
    },
  };
  const result: Omit<BenchResult, 'targets'> = { ...partial, durationSeconds: 0 };
  if (only.has('round')) {
    log(`== round latency: ${settings.roundRounds} rounds per LLM latency (${settings.llmDelays.join(', ')} ms)`);
    result.roundLatency = await roundLatency(env, {
      rounds: settings.roundRounds,
      warmup: settings.roundWarmup,
      delays: settings.llmDelays,
    });
    log('== state reads while an LLM call runs');
    result.busyRead = await busyRead(env, values.quick ? 10 : 50);
  }
  if (only.has('decision')) {
    log(`== decision -> call: ${settings.decisions} decisions per path`);
    result.decisionLatency = await decisionLatency(env, { decisions: settings.decisions });
  }
  if (only.has('throughput')) {
    log(`== throughput: concurrency ${settings.throughputLevels.join(', ')}`);
    result.throughput = await throughput(env, {
      levels: settings.throughputLevels,
      durationMs: settings.throughputMs,
      shape: settings.throughputShape,
    });
  }
  if (only.has('pending')) {
    log(`== pending approvals: ${settings.pendingRounds} rounds`);
    result.pendingApprovals = await pendingApprovals(env, { rounds: settings.pendingRounds });
  }
  if (only.has('limits')) {
    log(`== limit checks on POST /v1/rounds: ${settings.limitStarts} starts with limits on and off`);
    result.limitChecks = await limitChecks(env, settings.limitStarts, values.quick ? 3 : 10);
  }
  if (only.has('streaming')) {
    log(`== live tokens: ${settings.streamRounds} streamed rounds followed over SSE`);
    result.streaming = await streaming(env, { rounds: settings.streamRounds, warmup: values.quick ? 2 : 5 });
  }
  if (only.has('gateway')) {
    log(
      `== MCP gateway: ${settings.gatewayCalls} read-only calls direct and through /mcp, ${settings.gatewayGated} gated`,
    );
    result.gateway = await gatewayOverhead(env, {
      calls: settings.gatewayCalls,
      warmup: settings.gatewayWarmup,
      gated: settings.gatewayGated,
    });
  }
  if (only.has('start')) {
    log(
      `== worker start: ${settings.startCold} cold and ${settings.startWarm} warm workflow-bundle caches, RSS after ${settings.startIdleMs / 1000} s idle`,
    );
    result.workerStart = await workerStart(env, {
      cold: settings.startCold,
      warm: settings.startWarm,
      idleMs: settings.startIdleMs,
    });
  }
  result.durationSeconds = (performance.now() - clock) / 1000;
  writeResult({ ...result, targets: targetsOf(result) }, `bench/results/${mode}.json`);
} catch (error) {
  exitCode = 1;
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  log(`worker output (tail):\n${env.worker.output().slice(-3000)}`);
  log(`API output (tail):\n${env.api.output().slice(-3000)}`);
} finally {
  await env.close().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}
process.exit(exitCode);

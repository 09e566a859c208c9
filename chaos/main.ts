// `npm run chaos [-- --short] [--rounds N] [--kills K] [--seed S] [--concurrency C] [--temporal dev|cluster]`
//
// Fault-injection suite. Phase 1: a driver runs rounds (gated and open tools, random decisions) through two
// API instances while a killer SIGKILLs a random worker or API instance and restarts it. Phase 2: more rounds
// while Temporal is SIGKILLed and restarted on the same storage and ports (the dev server on its SQLite file,
// or with --temporal cluster the frontend, history and matching services of the PostgreSQL cluster). Then every
// invariant is checked and printed with its count; the exit code is 1 when one fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { stringify } from 'yaml';
import { loadConfig } from '../runtime/config.ts';
import { connectToTemporal } from '../runtime/temporal-connection.ts';
import { recordMcpCalls, type ObservedCall } from '../testkit/mcp-recorder.ts';
import { startHttpMcpServer } from '../testkit/mcp-test-server.ts';
import { startScriptedLlmServer } from '../testkit/scripted-llm-server.ts';
import { stateQuery, type RoundState } from '../workflows/contract.ts';
import { startCluster, type Cluster } from './cluster.ts';
import { TOKENS, driveRound, type DrivenRound, type DriverContext } from './driver.ts';
import { checkInvariants } from './invariants.ts';
import { chaosModel, makePlan, rng, type RoundPlan } from './plan.ts';
import { TEST_SIGNING } from '../testkit/signing.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    kills: { type: 'string' },
    'server-rounds': { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
    keep: { type: 'boolean', default: false },
    temporal: { type: 'string', default: 'dev' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: npm run chaos -- [--short] [--rounds N] [--kills K] [--server-rounds M] [--seed S] [--concurrency C] [--keep] [--temporal dev|cluster]',
  );
  process.exit(0);
}
const int = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number.parseInt(value, 10);
if (values.temporal !== 'dev' && values.temporal !== 'cluster') {
  console.error(`--temporal must be dev or cluster, not ${values.temporal}`);
  process.exit(2);
}
const temporalKind = values.temporal === 'cluster' ? 'cluster' : 'dev server';
const settings = {
  mode: values.short ? 'short' : 'full',
  /** Phase 1: at least this many rounds, and more until every kill is done. */
  rounds: int(values.rounds, values.short ? 30 : 420),
  kills: int(values.kills, values.short ? 6 : 100),
  /** Phase 2: rounds around the Temporal restart. */
  serverRounds: int(values['server-rounds'], values.short ? 10 : 100),
  concurrency: int(values.concurrency, values.short ? 6 : 8),
  seed: int(values.seed, Date.now() % 1_000_000),
  /** Between kills, after the previous victim is back. */
  killGapMs: values.short ? [1500, 5000] : [1000, 4000],
  slowMs: [400, 1500] as [number, number],
  approvalTimeout: '4s',
  roundTimeoutMs: 300_000,
};
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
Runtime.install({ logger: new DefaultLogger('ERROR') });

const started = Date.now();
const random = rng(settings.seed);
const folder = mkdtempSync(join(tmpdir(), 'toolgate-chaos-'));
log(
  `chaos (${settings.mode}): seed ${settings.seed}, ${settings.rounds}+ rounds with ${settings.kills} kills, then ${settings.serverRounds} rounds around a restart of the ${temporalKind}; folder ${folder}`,
);

const plans = new Map<number, RoundPlan>();
const llm = await startScriptedLlmServer(chaosModel(plans));
const mcp = await startHttpMcpServer({ name: 'k8s' });
const calls: ObservedCall[] = [];
const recorder = recordMcpCalls(mcp.calls);
recorder.onCall = (call) => calls.push(call);

const configPath = join(folder, 'toolgate.yaml');
writeFileSync(
  configPath,
  stringify({
    temporal: { address: '127.0.0.1:7233', taskQueue: 'toolgate-chaos' },
    llm: { baseURL: llm.baseURL, model: 'scripted' },
    approvals: { approvers: ['alice'], timeout: '10m' },
    signing: TEST_SIGNING,
    api: { host: '127.0.0.1', tokens: Object.entries(TOKENS).map(([principal, token]) => ({ principal, token })) },
    // The run drives hundreds of rounds and polls them as two principals: limits that fit a person would refuse it.
    limits: {
      requests: { start: { perMinute: 100_000, burst: 10_000 }, read: { perMinute: 1_000_000, burst: 100_000 } },
      roundsPerPrincipal: 10_000,
      pendingApprovalsPerPrincipal: 10_000,
    },
    servers: [
      {
        name: 'k8s',
        transport: 'http',
        url: mcp.url,
        trusted: true,
        timeout: '5s',
        retry: { maxAttempts: 3, initialDelay: '200ms', maxDelay: '2s' },
        tools: {
          delete_pod: { approvalTimeout: settings.approvalTimeout },
          scale_deployment: { approvalTimeout: settings.approvalTimeout },
          // An open (ungated) tool that is neither read-only nor idempotent: the one kills must not re-run.
          slow: { approval: 'never' },
        },
      },
    ],
  }),
);

let cluster: Cluster | undefined;
let exitCode = 0;
try {
  cluster = await startCluster({ folder, configPath, workers: 2, apis: 2, temporal: temporalKind, log });
  const theCluster = cluster;
  const context: DriverContext = {
    pool: { urls: () => theCluster.apiUrls() },
    random,
    stats: { retries: 0, reasons: {} },
    answers: { count: 0, serverErrors: [] },
    log,
  };
  const runId = `chaos-${settings.seed}-${Date.now()}`;
  const driven: DrivenRound[] = [];
  let nextIndex = 0;
  let finished = 0;
  let kills = 0;
  const killLog: string[] = [];

  const runRounds = async (phase: string, more: () => boolean): Promise<void> => {
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (more()) {
          const plan = makePlan(nextIndex++, random, settings.slowMs);
          plans.set(plan.index, plan);
          const round = await driveRound(context, plan, runId, settings.roundTimeoutMs);
          driven.push(round);
          finished++;
          if (round.error) log(`  round ${plan.index} (${round.roundId ?? 'not started'}): ${round.error}`);
          if (finished % 10 === 0)
            log(`  ${phase}: ${finished} rounds finished, ${kills} kills, ${context.stats.retries} API retries`);
        }
      }),
    );
  };

  // ---- phase 1: workers and API instances killed at random moments
  log(
    `== phase 1: ${settings.rounds}+ rounds, ${settings.kills} kills (SIGKILL a random worker or API instance, then restart it)`,
  );
  let phase1Started = 0;
  const killer = (async () => {
    while (kills < settings.kills) {
      const [low, high] = settings.killGapMs;
      await sleep(low! + random() * (high! - low!));
      // Workers more often than API instances: a worker killed mid-call is the case that matters most.
      const role = random() < 0.7 ? 'worker' : 'api';
      const candidates = theCluster.slots.filter((slot) => slot.role === role);
      const victim = candidates[Math.floor(random() * candidates.length)]!;
      const downMs = Math.floor(random() * 1500);
      const at = Date.now();
      await theCluster.killAndRestart(victim, downMs);
      kills++;
      killLog.push(`${victim.name} (down ${downMs} ms, back after ${((Date.now() - at) / 1000).toFixed(1)} s)`);
    }
  })();
  await runRounds('phase 1', () => phase1Started++ < settings.rounds || kills < settings.kills);
  await killer;
  const phase1Rounds = driven.length;

  // ---- phase 2: Temporal is SIGKILLed and restarted (same storage, same ports) with rounds in flight
  log(`== phase 2: ${settings.serverRounds} rounds, ${temporalKind} SIGKILLed and restarted mid-phase`);
  let phase2Started = 0;
  let serverRestart = '';
  let restarted = false;
  const inFlight = (): number => nextIndex - finished;
  const restarter = (async () => {
    // Wait until a lane's worth of rounds is in flight (some with pending approvals), then pull the plug.
    while (phase2Started < settings.concurrency) await sleep(100);
    await sleep(1000 + random() * 1500);
    const at = Date.now();
    const downMs = 1000 + Math.floor(random() * 2000);
    await theCluster.temporal.restart('SIGKILL', downMs);
    serverRestart = `${temporalKind} SIGKILLed with ${inFlight()} rounds in flight, down ${downMs} ms, serving again after ${((Date.now() - at) / 1000).toFixed(1)} s`;
    log(`  ${serverRestart}`);
    restarted = true;
  })();
  // Rounds go on until the restart has happened and the phase's count is reached.
  await runRounds('phase 2', () => phase2Started++ < settings.serverRounds || !restarted);
  await restarter;

  // ---- final state of every round, read from Temporal directly
  log('== collecting final states');
  const { connection } = await connectToTemporal(loadConfig(configPath).temporal, {
    ...process.env,
    ...theCluster.temporal.env,
  });
  const client = new Client({ connection });
  const states = new Map<string, RoundState | { error: string }>();
  for (const round of driven) {
    if (!round.roundId) continue;
    let state: RoundState | { error: string } = { error: 'not read' };
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        state = await client.withDeadline(Date.now() + 10_000, () =>
          client.workflow.getHandle(round.roundId!).query(stateQuery),
        );
        break;
      } catch (error) {
        state = { error: error instanceof Error ? error.message : String(error) };
        await sleep(500);
      }
    }
    states.set(round.roundId, state);
  }
  await connection.close();

  const results = checkInvariants({
    rounds: driven,
    states,
    calls,
    llmRequests: llm.requests,
    api: context.answers,
    short: values.short === true,
  });
  const seconds = (Date.now() - started) / 1000;
  const restarts = theCluster.slots.map(
    (slot) => `${slot.name} started ${slot.starts}x (${slot.unexpectedExits} unexpected exits)`,
  );
  console.log(
    `\nchaos ${settings.mode}, seed ${settings.seed}: ${driven.length} rounds (${phase1Rounds} in phase 1, ${driven.length - phase1Rounds} in phase 2), ${kills} kills, 1 ${temporalKind} restart, ${seconds.toFixed(0)} s`,
  );
  console.log(`kills: ${killLog.join('; ')}`);
  console.log(
    `${serverRestart}; ${restarts.join('; ')}; ${context.stats.retries} API request retries (${Object.entries(
      context.stats.reasons,
    )
      .map(([why, count]) => `${why}: ${count}`)
      .join(', ')})`,
  );
  console.log(`${calls.length} MCP calls recorded with their round and call id\n`);
  let failed = 0;
  const warnings: string[] = [];
  for (const result of results) {
    const ok = result.violations.length === 0;
    if (!ok) failed++;
    if (result.warning) warnings.push(`${result.name}: ${result.warning}`);
    // A warning does not fail the run, but it must not read like a clean pass either.
    const verdict = !ok ? 'FAIL' : result.warning ? 'WARN' : 'PASS';
    console.log(`${verdict} ${result.name}: ${result.checked} checked, ${result.violations.length} violations`);
    for (const note of result.notes) console.log(`       ${note}`);
    if (result.warning) console.log(`       WARNING: ${result.warning}`);
    for (const violation of result.violations.slice(0, 20)) console.log(`       ! ${violation}`);
    if (result.violations.length > 20) console.log(`       ! ... ${result.violations.length - 20} more`);
  }
  console.log(`\n${results.length - failed} passed (${warnings.length} with a warning), ${failed} failed`);
  for (const warning of warnings) console.log(`WARNING ${warning}`);
  if (failed > 0) exitCode = 1;
} catch (error) {
  exitCode = 2;
  log(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const slot of cluster?.slots ?? [])
    log(`--- ${slot.name} output (tail):\n${slot.service?.output().slice(-2000) ?? '(not running)'}`);
} finally {
  await cluster?.close().catch(() => undefined);
  await llm.close();
  await mcp.close();
  if (!values.keep && exitCode === 0) rmSync(folder, { recursive: true, force: true });
  else log(`kept ${folder} (temporal.log, config)`);
}
process.exit(exitCode);

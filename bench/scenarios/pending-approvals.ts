// Scenario 4: N rounds each holding a pending approval. Memory of every process, listing the pending
// approvals, and deciding all of them (HTTP API, 32 decisions in flight, each waited for until the MCP server
// receives its call).
import { randomUUID } from 'node:crypto';
import { queryFor } from '../llm-script.ts';
import { APPROVER, REQUESTER, TOKENS, trimLlmLog, type BenchEnv } from '../setup.ts';
import { round2, summarize, type Summary } from '../stats.ts';
import { processMemory } from '../../testkit/process-stats.ts';
import { mapConcurrent, progress, sleep } from '../system.ts';

const START_CONCURRENCY = 32;
const DECIDE_CONCURRENCY = 32;

type Memory = { rssMb: number; peakMb: number } | undefined;

export interface PendingApprovalsResult {
  rounds: number;
  baseline: {
    /** The baseline lives in the bench process: RSS of that process before and with N pending. */
    benchProcessRssMb: { before: number; pending: number; delta: number };
    heapUsedMb: { before: number; pending: number; delta: number };
    secondsToPending: number;
    listFirstPageMs: number;
    listAllMs: number;
    decideAllSeconds: number;
    decisionsPerSecond: number;
    decisionToCall: Summary;
  };
  toolgate: {
    memoryIdle: { worker: Memory; api: Memory; devServer: Memory };
    memoryPending: { worker: Memory; api: Memory; devServer: Memory };
    memoryAfter: { worker: Memory; api: Memory; devServer: Memory };
    secondsToPending: number;
    listFirstPage: { pageSize: number; firstMs: number; samples: Summary; approvals: number };
    listAll: { pageSize: number; ms: number; pages: number; approvals: number };
    decideAllSeconds: number;
    decisionsPerSecond: number;
    decisionAck: Summary;
    decisionToCall: Summary;
    secondsUntilAllCompleted: number;
  };
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

function memoryOf(env: BenchEnv): { worker: Memory; api: Memory; devServer: Memory } {
  return { worker: env.worker.memory(), api: env.api.memory(), devServer: processMemory(env.devServer.pid) };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function baselineSide(env: BenchEnv, rounds: number): Promise<PendingApprovalsResult['baseline']> {
  gc();
  await sleep(200);
  const before = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
  const started = performance.now();
  const running: Array<Promise<unknown>> = [];
  const roundIds: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const roundId = `baseline-${randomUUID()}`;
    roundIds.push(roundId);
    running.push(env.baseline.runRound(roundId, { query: queryFor('gated', roundId), requester: REQUESTER }));
    // At most a few batches still starting (listing tools, asking the LLM): 10,000 at once exhaust sockets.
    while (i + 1 - env.baseline.pendingApprovals().length > START_CONCURRENCY * 4) await sleep(5);
  }
  const report = progress('baseline rounds pending', rounds);
  while (env.baseline.pendingApprovals().length < rounds) {
    report(env.baseline.pendingApprovals().length);
    await sleep(50);
  }
  const secondsToPending = (performance.now() - started) / 1000;
  trimLlmLog(env);
  gc();
  await sleep(200);
  const pending = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };

  let t0 = performance.now();
  const firstPage = env.baseline
    .pendingApprovals()
    .sort((a, b) => a.openedAt.localeCompare(b.openedAt))
    .slice(0, 100);
  const listFirstPageMs = performance.now() - t0;
  if (firstPage.length !== Math.min(100, rounds)) throw new Error('baseline list is short');
  t0 = performance.now();
  const all = env.baseline.pendingApprovals();
  const listAllMs = performance.now() - t0;
  if (all.length !== rounds) throw new Error('baseline list is short');

  const toCall: number[] = [];
  const decided = progress('baseline decisions', rounds);
  t0 = performance.now();
  await mapConcurrent(all, DECIDE_CONCURRENCY, async (approval, index) => {
    const received = env.recorder.expect(approval.roundId);
    const sentAt = performance.now();
    if (!env.baseline.decide(approval.approvalId, 'approve', APPROVER))
      throw new Error(`baseline refused ${approval.approvalId}`);
    toCall.push((await received).hrAt - sentAt);
    decided(index + 1);
  });
  const decideAllSeconds = (performance.now() - t0) / 1000;
  await Promise.all(running);
  trimLlmLog(env);
  return {
    benchProcessRssMb: { before: mb(before.rss), pending: mb(pending.rss), delta: mb(pending.rss - before.rss) },
    heapUsedMb: { before: mb(before.heap), pending: mb(pending.heap), delta: mb(pending.heap - before.heap) },
    secondsToPending: round2(secondsToPending),
    listFirstPageMs: round2(listFirstPageMs),
    listAllMs: round2(listAllMs),
    decideAllSeconds: round2(decideAllSeconds),
    decisionsPerSecond: round2(rounds / decideAllSeconds),
    decisionToCall: summarize(toCall),
  };
}

async function api(
  env: BenchEnv,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${env.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKENS.alice}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function countRounds(env: BenchEnv, query: string): Promise<number> {
  return (await env.client.workflow.count(query)).count;
}

async function toolgateSide(env: BenchEnv, rounds: number): Promise<PendingApprovalsResult['toolgate']> {
  await sleep(1000);
  const memoryIdle = memoryOf(env);
  const started = performance.now();
  const roundIds: string[] = [];
  const startedReport = progress('toolgate rounds started', rounds);
  await mapConcurrent(Array.from({ length: rounds }), START_CONCURRENCY, async (_item, index) => {
    const handle = await env.startRound('gated');
    roundIds.push(handle.workflowId);
    startedReport(index + 1);
  });
  const waiting = 'ExecutionStatus = "Running" AND ToolgateStatus = "waiting_approval"';
  const pendingReport = progress('toolgate rounds pending', rounds);
  for (;;) {
    const count = await countRounds(env, waiting);
    pendingReport(count);
    if (count >= rounds) break;
    await sleep(500);
    trimLlmLog(env);
  }
  const secondsToPending = (performance.now() - started) / 1000;
  trimLlmLog(env);
  await sleep(2000);
  const memoryPending = memoryOf(env);

  const firstSamples: number[] = [];
  let firstCount = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const page = await api(env, 'GET', '/v1/approvals');
    firstSamples.push(performance.now() - t0);
    if (page.status !== 200) throw new Error(`GET /v1/approvals: ${page.status} ${JSON.stringify(page.body)}`);
    firstCount = page.body.approvals.length;
  }
  const allPageSize = 1000;
  let pages = 0;
  let listed = 0;
  let token: string | undefined;
  const digests = new Map<string, string>();
  const allStarted = performance.now();
  do {
    const page = await api(env, 'GET', `/v1/approvals?pageSize=${allPageSize}${token ? `&pageToken=${token}` : ''}`);
    if (page.status !== 200) throw new Error(`GET /v1/approvals: ${page.status} ${JSON.stringify(page.body)}`);
    pages++;
    for (const approval of page.body.approvals as Array<{ roundId: string; argsDigest: string }>)
      digests.set(approval.roundId, approval.argsDigest);
    listed += page.body.approvals.length;
    token = page.body.nextPageToken;
  } while (token);
  const listAllMs = performance.now() - allStarted;
  if (listed !== rounds) process.stderr.write(`  warning: listed ${listed} pending approvals, expected ${rounds}\n`);

  const ack: number[] = [];
  const toCall: number[] = [];
  const decided = progress('toolgate decisions (HTTP)', rounds);
  const decideStarted = performance.now();
  await mapConcurrent(roundIds, DECIDE_CONCURRENCY, async (roundId, index) => {
    const received = env.recorder.expect(roundId);
    const sentAt = performance.now();
    const answer = await api(env, 'POST', `/v1/approvals/${roundId}.1.0`, {
      decision: 'approve',
      argsDigest: digests.get(roundId),
    });
    if (answer.status !== 202)
      throw new Error(`decision on ${roundId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    ack.push(performance.now() - sentAt);
    toCall.push((await received).hrAt - sentAt);
    decided(index + 1);
    if (index % 1000 === 999) trimLlmLog(env);
  });
  const decideAllSeconds = (performance.now() - decideStarted) / 1000;
  for (;;) {
    const running = await countRounds(env, 'ExecutionStatus = "Running"');
    if (running === 0) break;
    await sleep(250);
  }
  const secondsUntilAllCompleted = (performance.now() - decideStarted) / 1000;
  trimLlmLog(env);
  await sleep(1000);
  return {
    memoryIdle,
    memoryPending,
    memoryAfter: memoryOf(env),
    secondsToPending: round2(secondsToPending),
    listFirstPage: {
      pageSize: 100,
      firstMs: round2(firstSamples[0]!),
      samples: summarize(firstSamples),
      approvals: firstCount,
    },
    listAll: { pageSize: allPageSize, ms: round2(listAllMs), pages, approvals: listed },
    decideAllSeconds: round2(decideAllSeconds),
    decisionsPerSecond: round2(rounds / decideAllSeconds),
    decisionAck: summarize(ack),
    decisionToCall: summarize(toCall),
    secondsUntilAllCompleted: round2(secondsUntilAllCompleted),
  };
}

export async function pendingApprovals(env: BenchEnv, settings: { rounds: number }): Promise<PendingApprovalsResult> {
  env.model.delayMs = 0;
  process.stderr.write(`  ${settings.rounds} pending approvals: baseline\n`);
  const baseline = await baselineSide(env, settings.rounds);
  process.stderr.write(`  ${settings.rounds} pending approvals: toolgate\n`);
  const toolgate = await toolgateSide(env, settings.rounds);
  return { rounds: settings.rounds, baseline, toolgate };
}

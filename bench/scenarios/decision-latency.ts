// Scenario 2: decision -> tool call received by the MCP server. Rounds with one gated call are brought to
// their pending approval in batches; then decisions are sent one at a time (sequential probes with gaps), each
// measured from just before sending to the moment the MCP server records the call. Each round is let finish
// before the next decision, so probes do not overlap.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import {
  decideSignal,
  decideUpdate,
  stateQuery,
  type ApprovalSummary,
  type DecisionRequest,
} from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { queryFor } from '../llm-script.ts';
import { APPROVER, REQUESTER, TOKENS, trimLlmLog, type BenchEnv } from '../setup.ts';
import { summarize, type Summary } from '../stats.ts';
import { sleep } from '../system.ts';
import { signedDecision } from '../../testkit/signing.ts';
import { decisionStages, summarizeStages, type DecisionStage, type DecisionStages } from '../decision-stages.ts';

export type DecisionPath = 'baseline' | 'http' | 'update' | 'signal';

export interface DecisionLatencyResult {
  path: DecisionPath;
  decisions: number;
  /** From just before sending to the MCP server's receipt of the call. */
  toCall: Summary;
  /** From just before sending to the sender's answer (HTTP 202, update result, signal accepted). */
  ack: Summary;
  /** Toolgate's paths: where the time to the call went, from each round's history. */
  stages?: Record<DecisionStage, Summary>;
}

const GAP_MS = 10;
const BATCH = 25;

type Handle = WorkflowHandle<typeof queryRound>;

async function waitPending(handle: Handle, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(stateQuery);
    if (state.approvals.some((approval) => approval.status === 'pending')) return;
    if (Date.now() > deadline) throw new Error(`round ${handle.workflowId} never opened its approval`);
    await sleep(25);
  }
}

/** Signed as the API signs (the round ignores anything else), so the signature's cost is in the measure. */
function request(approvalId: string): DecisionRequest {
  return signedDecision({ approvalId, decision: 'approve', approver: { id: APPROVER, channel: 'cli' } });
}

async function send(
  env: BenchEnv,
  path: Exclude<DecisionPath, 'baseline'>,
  handle: Handle,
  approvalId: string,
  argsDigest: string,
): Promise<void> {
  switch (path) {
    case 'http': {
      const response = await fetch(`${env.apiUrl}/v1/approvals/${approvalId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', argsDigest }),
      });
      const body = (await response.json()) as { queued?: boolean };
      if (response.status !== 202 || body.queued)
        throw new Error(`decision ${approvalId}: HTTP ${response.status} ${JSON.stringify(body)}`);
      return;
    }
    case 'update':
      await handle.executeUpdate(decideUpdate, { args: [request(approvalId)] });
      return;
    case 'signal':
      await handle.signal(decideSignal, request(approvalId));
      return;
  }
}

async function toolgatePath(
  env: BenchEnv,
  path: Exclude<DecisionPath, 'baseline'>,
  count: number,
): Promise<DecisionLatencyResult> {
  const toCall: number[] = [];
  const ack: number[] = [];
  const stages: DecisionStages[] = [];
  while (toCall.length < count) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, count - toCall.length) }, () => env.startRound('gated')),
    );
    await Promise.all(batch.map((handle) => waitPending(handle)));
    await sleep(50);
    for (const handle of batch) {
      const approvalId = `${handle.workflowId}.1.0`;
      const { argsDigest } = (await handle.query(stateQuery)).approvals[0]!;
      const received = env.recorder.expect(handle.workflowId);
      const sentAt = performance.now();
      await send(env, path, handle, approvalId, argsDigest);
      ack.push(performance.now() - sentAt);
      const call = await received;
      toCall.push(call.hrAt - sentAt);
      await handle.result();
      const { events } = await handle.fetchHistory();
      const staged = decisionStages(events ?? [], performance.timeOrigin + sentAt, performance.timeOrigin + call.hrAt);
      if (staged) stages.push(staged);
      await sleep(GAP_MS);
    }
    process.stderr.write(`  decision -> call via ${path}: ${toCall.length}/${count}\n`);
    trimLlmLog(env);
  }
  return { path, decisions: count, toCall: summarize(toCall), ack: summarize(ack), stages: summarizeStages(stages) };
}

async function baselinePath(env: BenchEnv, count: number): Promise<DecisionLatencyResult> {
  const toCall: number[] = [];
  const ack: number[] = [];
  const opened = new Map<string, (approval: ApprovalSummary) => void>();
  env.baseline.onApprovalRequired = (approval) => opened.get(approval.roundId)?.(approval);
  try {
    while (toCall.length < count) {
      const size = Math.min(BATCH, count - toCall.length);
      const rounds = Array.from({ length: size }, () => {
        const roundId = `baseline-${randomUUID()}`;
        const approval = new Promise<ApprovalSummary>((resolve) => opened.set(roundId, resolve));
        const done = env.baseline.runRound(roundId, { query: queryFor('gated', roundId), requester: REQUESTER });
        return { roundId, approval, done };
      });
      await Promise.all(rounds.map((round) => round.approval));
      await sleep(50);
      for (const round of rounds) {
        const { approvalId } = await round.approval;
        const received = env.recorder.expect(round.roundId);
        const sentAt = performance.now();
        if (!env.baseline.decide(approvalId, 'approve', APPROVER)) throw new Error(`baseline refused ${approvalId}`);
        ack.push(performance.now() - sentAt);
        const call = await received;
        toCall.push(call.hrAt - sentAt);
        await round.done;
        opened.delete(round.roundId);
        await sleep(GAP_MS);
      }
      trimLlmLog(env);
    }
  } finally {
    env.baseline.onApprovalRequired = undefined;
  }
  return { path: 'baseline', decisions: count, toCall: summarize(toCall), ack: summarize(ack) };
}

export async function decisionLatency(
  env: BenchEnv,
  settings: { decisions: number },
): Promise<DecisionLatencyResult[]> {
  env.model.delayMs = 0;
  const results: DecisionLatencyResult[] = [];
  process.stderr.write(`  decision -> call, baseline: ${settings.decisions} decisions\n`);
  results.push(await baselinePath(env, settings.decisions));
  for (const path of ['http', 'update', 'signal'] as const)
    results.push(await toolgatePath(env, path, settings.decisions));
  return results;
}

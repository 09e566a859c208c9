// The driver: runs rounds through the HTTP API of a random instance, retrying when an instance is down or
// answers 503, and decides every approval as planned (approve, reject, or let it expire). It records what it
// sent and what it was answered, for the invariants; any other 5xx is a bug of the API, recorded, not retried.
import type { ApprovalStatus, RoundState } from '../workflows/contract.ts';
import { GATED, queryOf, type Intent, type RoundPlan } from './plan.ts';

export const TOKENS = { alice: 'alice-chaos-token-0123456789', carol: 'carol-chaos-token-0123456789' } as const;

export interface SentDecision {
  approvalId: string;
  intent: Intent;
  /** What the API said: applied (202), queued (202 via signal), closed (409 with the recorded status), or unknown. */
  answer: 'applied' | 'queued' | 'closed' | 'unknown' | 'not_sent';
  closedStatus?: ApprovalStatus;
  closedBy?: string;
}

export interface DrivenRound {
  plan: RoundPlan;
  roundId?: string;
  decisions: SentDecision[];
  finalStatus?: RoundState['status'];
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const FINAL = new Set(['completed', 'failed', 'cancelled']);

export interface ApiPool {
  urls(): string[];
}

export interface RetryStats {
  retries: number;
  /** Why requests were retried: `HTTP <status> <code>` or `connection`. */
  reasons: Record<string, number>;
}

/** What the API answered over the run: a 5xx other than 503 (the API's "try again shortly") is a violation. */
export interface ApiAnswers {
  count: number;
  /** `<method> <path>: HTTP <status> <body>` of each server error. */
  serverErrors: string[];
}

export interface DriverContext {
  pool: ApiPool;
  random: () => number;
  stats: RetryStats;
  answers: ApiAnswers;
  log: (line: string) => void;
}

interface ApiAnswer {
  status: number;
  body: any;
}

/**
 * One request to a random API instance; connection errors and 503s are retried on any instance until the
 * deadline. Any other 5xx is answered to the caller and recorded in `context.answers.serverErrors`.
 */
export async function apiRequest(
  context: DriverContext,
  method: string,
  path: string,
  options: { token: string; body?: unknown; deadlineMs?: number },
): Promise<ApiAnswer> {
  const { pool, random, stats } = context;
  const deadline = Date.now() + (options.deadlineMs ?? 180_000);
  let lastError = '';
  let reason: string;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const urls = pool.urls();
    const url = urls[Math.floor(random() * urls.length)]!;
    try {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
      context.answers.count++;
      if (response.status !== 503) {
        if (response.status >= 500)
          context.answers.serverErrors.push(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
        return { status: response.status, body };
      }
      lastError = `${response.status} ${text.slice(0, 200)}`;
      reason = `HTTP ${response.status} ${(body as { error?: { code?: string } })?.error?.code ?? ''}`.trim();
    } catch (error) {
      lastError =
        error instanceof Error
          ? `${error.message}${error.cause instanceof Error ? ` ${error.cause.message}` : ''}`
          : String(error);
      reason = 'connection';
    }
    stats.retries++;
    stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
    await sleep(Math.min(1000, 100 * 2 ** Math.min(attempt, 4)) * (0.5 + random() / 2));
  }
  throw new Error(`${method} ${path}: no answer before the deadline (${lastError})`);
}

async function roundState(context: DriverContext, roundId: string): Promise<RoundState> {
  for (;;) {
    const answer = await apiRequest(context, 'GET', `/v1/rounds/${roundId}`, { token: TOKENS.carol });
    if (answer.status === 200 && !(answer.body as { partial?: boolean }).partial) return answer.body as RoundState;
    if (answer.status === 200) {
      // A busy round (a local LLM call) answers with what it last published: ask again for the full state.
      await sleep(200);
      continue;
    }
    // A 503 while no worker answers queries is retried by apiRequest, which records any other 5xx as a
    // violation: this round's driving stops there rather than polling through it. A 4xx is waited out.
    if (answer.status >= 500) throw new Error(`round state: HTTP ${answer.status}`);
    context.stats.retries++;
    const why = `HTTP ${answer.status} ${(answer.body as { error?: { code?: string } })?.error?.code ?? ''}`.trim();
    context.stats.reasons[why] = (context.stats.reasons[why] ?? 0) + 1;
    await sleep(300);
  }
}

async function decideOne(
  context: DriverContext,
  approval: { approvalId: string; argsDigest: string },
  intent: Exclude<Intent, 'expire'>,
): Promise<SentDecision> {
  const { approvalId, argsDigest } = approval;
  const sent: SentDecision = { approvalId, intent, answer: 'unknown' };
  try {
    const answer = await apiRequest(context, 'POST', `/v1/approvals/${approvalId}`, {
      token: TOKENS.alice,
      body:
        intent === 'approve'
          ? { decision: 'approve', argsDigest }
          : { decision: 'reject', reason: 'chaos says no', argsDigest },
    });
    if (answer.status === 202) {
      sent.answer = answer.body.queued ? 'queued' : answer.body.applied ? 'applied' : 'unknown';
      if (!answer.body.queued && !answer.body.applied) {
        sent.answer = 'closed';
        sent.closedStatus = answer.body.status;
        sent.closedBy = answer.body.decision?.approver?.id;
      }
    } else if (answer.status === 409) {
      sent.answer = 'closed';
      sent.closedStatus = answer.body?.error?.status;
      sent.closedBy = answer.body?.error?.decidedBy;
    } else {
      context.log(`  decision ${approvalId}: unexpected ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  } catch (error) {
    context.log(`  decision ${approvalId}: ${String(error).slice(0, 300)}`);
  }
  return sent;
}

/** Runs one round to its end: start (idempotent), decide each gated call as planned, wait for the final state. */
export async function driveRound(
  context: DriverContext,
  plan: RoundPlan,
  runId: string,
  roundTimeoutMs: number,
): Promise<DrivenRound> {
  const driven: DrivenRound = { plan, decisions: [] };
  const deadline = Date.now() + roundTimeoutMs;
  try {
    const started = await apiRequest(context, 'POST', '/v1/rounds', {
      token: TOKENS.carol,
      body: { query: queryOf(plan), idempotencyKey: `${runId}-${plan.index}` },
    });
    if (started.status !== 201 && started.status !== 200)
      throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
    const roundId = started.body.roundId as string;
    driven.roundId = roundId;

    // Approval ids are <roundId>.<step>.<callIndex>: known in advance; each is decided once it is pending.
    const gated = new Map<string, Intent>();
    plan.steps.forEach((calls, stepIndex) =>
      calls.forEach((call, callIndex) => {
        if (GATED.has(call.tool)) gated.set(`${roundId}.${stepIndex + 1}.${callIndex}`, call.intent!);
      }),
    );
    const handled = new Set<string>();
    for (;;) {
      if (Date.now() > deadline) throw new Error(`round ${roundId} did not finish within ${roundTimeoutMs / 1000}s`);
      const state = await roundState(context, roundId);
      for (const approval of state.approvals) {
        if (handled.has(approval.approvalId) || !gated.has(approval.approvalId)) continue;
        const intent = gated.get(approval.approvalId)!;
        if (approval.status !== 'pending') {
          // Closed before we acted (it expired while workers were down, for instance).
          handled.add(approval.approvalId);
          driven.decisions.push({
            approvalId: approval.approvalId,
            intent,
            answer: 'not_sent',
            closedStatus: approval.status,
          });
          continue;
        }
        handled.add(approval.approvalId);
        if (intent === 'expire') {
          driven.decisions.push({ approvalId: approval.approvalId, intent, answer: 'not_sent' });
          continue;
        }
        driven.decisions.push(await decideOne(context, approval, intent));
      }
      if (FINAL.has(state.status)) {
        driven.finalStatus = state.status;
        return driven;
      }
      await sleep(150 + context.random() * 150);
    }
  } catch (error) {
    driven.error = error instanceof Error ? error.message : String(error);
    return driven;
  }
}

// The chaos run's invariants on synthetic runs: a clean run passes every one, and each kind of violation is
// reported by the invariant that guards it (and only by the ones that should see it), so a check that stopped
// checking fails here rather than passing a broken run.
import { describe, expect, it } from 'vitest';
import type { DrivenRound } from '../../chaos/driver.ts';
import { checkInvariants, type InvariantInput } from '../../chaos/invariants.ts';
import type { RoundPlan, ToolName } from '../../chaos/plan.ts';
import type { ObservedCall } from '../../testkit/mcp-recorder.ts';
import type { RecordedLlmRequest } from '../../testkit/scripted-llm-server.ts';
import type { ApprovalRecord, RoundState, ToolCallRecord } from '../../workflows/contract.ts';

const INVARIANT = {
  ends: 'every round reaches the final state its plan meant (none lost, no unplanned failure)',
  runs: 'no tool call executed more often than recorded; non-idempotent ones at most once',
  approved: 'a gated tool never ran without an approve decision',
  order: 'a gated call reached the MCP server only after its approval was decided',
  refused: 'a rejected or expired call never ran',
  unknown: 'interrupted non-idempotent calls are reported as "outcome unknown", never re-run',
  api: 'the API never answered with a server error (a 5xx other than 503)',
} as const;

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const UNKNOWN = 'slow may or may not have taken effect: its outcome is unknown. Check before calling it again.';

/** One synthetic round of the run: its plan, what the driver did, the round's state and the MCP server's log. */
interface SyntheticRound {
  driven: DrivenRound;
  state: RoundState;
  calls: ObservedCall[];
  llm: RecordedLlmRequest[];
}

function round(index: number, outcome: RoundPlan['outcome'] = 'completed'): SyntheticRound {
  const roundId = `round-${index}`;
  return {
    driven: { plan: { index, steps: [], llmDelayMs: 0, outcome }, roundId, decisions: [], finalStatus: outcome },
    state: {
      roundId,
      status: outcome,
      query: `chaos plan:${index}`,
      requester: 'carol',
      step: 2,
      maxSteps: 8,
      toolCalls: [],
      approvals: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      ...(outcome === 'failed' ? { error: { type: 'LlmRequestRejected', message: 'planned' } } : {}),
    },
    calls: [],
    llm: [],
  };
}

function callRecord(
  at: SyntheticRound,
  tool: ToolName,
  fields: Partial<ToolCallRecord> & Pick<ToolCallRecord, 'outcome' | 'attempts'>,
): ToolCallRecord {
  const record: ToolCallRecord = {
    step: 1,
    callIndex: at.state.toolCalls.length,
    toolCallId: `${at.state.roundId}-call-${at.state.toolCalls.length}`,
    name: `k8s__${tool}`,
    server: 'k8s',
    tool,
    arguments: {},
    content: 'done',
    truncated: false,
    ...fields,
  };
  at.state.toolCalls.push(record);
  return record;
}

function executed(at: SyntheticRound, record: ToolCallRecord, receivedAt: number): void {
  at.calls.push({
    roundId: at.state.roundId,
    toolCallId: record.toolCallId,
    tool: record.tool!,
    arguments: {},
    receivedAt,
    hrAt: 0,
  });
}

/** A gated call decided by the driver as `intent`: approved calls run 200 ms after the decision is applied. */
function gated(at: SyntheticRound, tool: ToolName, intent: 'approve' | 'reject' | 'expire'): ToolCallRecord {
  const approvalId = `${at.state.roundId}.1.${at.state.toolCalls.length}`;
  const opened = T0 + at.driven.plan.index * 10_000;
  const status = ({ approve: 'approved', reject: 'rejected', expire: 'expired' } as const)[intent];
  const record = callRecord(at, tool, {
    approvalId,
    outcome: status === 'approved' ? 'succeeded' : status,
    attempts: status === 'approved' ? 1 : 0,
  });
  const base = {
    approvalId,
    roundId: at.state.roundId,
    step: 1,
    server: 'k8s',
    tool,
    argsPreview: '{}',
    argsDigest: 'digest',
    requester: 'carol',
    approvers: ['alice'],
    allowSelfApproval: false,
    openedAt: iso(opened),
    expiresAt: iso(opened + 4000),
    callIndex: record.callIndex,
    toolCallId: record.toolCallId,
    arguments: {},
    ignored: [],
  };
  const decision = {
    decision: intent === 'reject' ? ('reject' as const) : ('approve' as const),
    approver: { id: 'alice', channel: 'http' as const },
    argsDigest: 'digest',
    decidedAt: iso(opened + 1000),
  };
  const approval: ApprovalRecord =
    status === 'expired'
      ? { ...base, status, closedAt: base.expiresAt }
      : { ...base, status, decision, closedAt: iso(opened + 1100) };
  at.state.approvals.push(approval);
  at.driven.decisions.push(
    intent === 'expire' ? { approvalId, intent, answer: 'not_sent' } : { approvalId, intent, answer: 'applied' },
  );
  if (intent === 'approve') executed(at, record, opened + 1300);
  return record;
}

/** A clean full run: approvals, rejections, an expiry, an interrupted `slow` call and a planned failure. */
function cleanRun(): { rounds: SyntheticRound[]; input: (changes?: Partial<InvariantInput>) => InvariantInput } {
  const rounds: SyntheticRound[] = [];
  for (let index = 0; index < 6; index++) {
    const approvedRound = round(index);
    gated(approvedRound, 'delete_pod', 'approve');
    const rejectedRound = round(index + 10);
    gated(rejectedRound, index % 2 === 0 ? 'delete_pod' : 'scale_deployment', 'reject');
    rounds.push(approvedRound, rejectedRound);
  }
  const expiredRound = round(20);
  gated(expiredRound, 'scale_deployment', 'expire');
  const echo = callRecord(expiredRound, 'echo', { outcome: 'succeeded', attempts: 1 });
  executed(expiredRound, echo, T0);
  rounds.push(expiredRound);

  const interrupted = round(21);
  const slow = callRecord(interrupted, 'slow', { outcome: 'outcome_unknown', attempts: 1, content: UNKNOWN });
  executed(interrupted, slow, T0);
  interrupted.llm.push({
    body: {
      model: 'scripted',
      messages: [
        { role: 'user', content: interrupted.state.query },
        { role: 'tool', tool_call_id: slow.toolCallId, content: UNKNOWN },
      ],
    },
    headers: {},
    receivedAt: T0,
    chunkTimes: [],
  });
  rounds.push(interrupted, round(22, 'failed'));

  return {
    rounds,
    input: (changes = {}) => ({
      rounds: rounds.map((each) => each.driven),
      states: new Map(rounds.map((each) => [each.state.roundId, each.state])),
      calls: rounds.flatMap((each) => each.calls),
      llmRequests: rounds.flatMap((each) => each.llm),
      api: { count: 120, serverErrors: [] },
      short: false,
      ...changes,
    }),
  };
}

/** The violations of each invariant that found any. */
function violations(input: InvariantInput): Record<string, string[]> {
  return Object.fromEntries(
    checkInvariants(input)
      .filter((result) => result.violations.length > 0)
      .map((result) => [result.name, result.violations]),
  );
}

const find = (rounds: SyntheticRound[], tool: ToolName, outcome: ToolCallRecord['outcome']) => {
  const at = rounds.find((each) =>
    each.state.toolCalls.some((call) => call.tool === tool && call.outcome === outcome),
  )!;
  return { at, record: at.state.toolCalls.find((call) => call.tool === tool && call.outcome === outcome)! };
};

describe('chaos invariants', () => {
  it('pass a clean run, a planned failure included, with every check covering something and no warning', () => {
    const results = checkInvariants(cleanRun().input());
    expect(results.filter((result) => result.violations.length > 0 || result.warning)).toEqual([]);
    expect(results.map((result) => [result.name, result.checked > 0])).toEqual(
      results.map((result) => [result.name, true]),
    );
    expect(results).toHaveLength(10);
  });

  it('report a non-idempotent call executed twice', () => {
    const run = cleanRun();
    const { at, record } = find(run.rounds, 'delete_pod', 'succeeded');
    executed(at, record, at.calls[0]!.receivedAt + 500);
    expect(violations(run.input())).toEqual({
      [INVARIANT.runs]: [
        `${at.state.roundId}/${record.toolCallId} (delete_pod, not idempotent) executed 2 times`,
        `${at.state.roundId}/${record.toolCallId} (delete_pod) executed 2 times, 1 attempt(s) recorded`,
      ],
      [INVARIANT.unknown]: [`${at.state.roundId}/${record.toolCallId} (delete_pod): succeeded but executed 2 times`],
    });
  });

  it('accept a read of a workflow task lost with its worker, but not a write without a record', () => {
    const run = cleanRun();
    const { at } = find(run.rounds, 'delete_pod', 'succeeded');
    for (const tool of ['echo', 'slow'] as const) {
      at.calls.push({
        roundId: at.state.roundId,
        toolCallId: `lost-${tool}`,
        tool,
        arguments: {},
        receivedAt: at.calls[0]!.receivedAt + 100,
        hrAt: 0,
      });
    }
    expect(violations(run.input())).toEqual({
      [INVARIANT.runs]: [`MCP call ${at.state.roundId}/lost-slow has no tool-call record in its round`],
    });
  });

  it('report a gated call that reached the MCP server before its approval was decided', () => {
    const run = cleanRun();
    const { at } = find(run.rounds, 'delete_pod', 'succeeded');
    const approval = at.state.approvals[0]!;
    at.calls[0]!.receivedAt = Date.parse(approval.decision!.decidedAt) - 400;
    expect(violations(run.input())).toEqual({
      [INVARIANT.order]: [
        expect.stringMatching(
          new RegExp(`^${approval.approvalId} \\(delete_pod\\): arrived .* 400 ms before its decision`),
        ),
        expect.stringMatching(/500 ms before the round applied its decision/),
      ],
    });
  });

  it('report a rejected call that ran', () => {
    const run = cleanRun();
    const { at, record } = find(run.rounds, 'delete_pod', 'rejected');
    executed(at, record, T0 + 999_000);
    const found = violations(run.input());
    expect(Object.keys(found).sort()).toEqual([INVARIANT.approved, INVARIANT.refused, INVARIANT.runs].sort());
    expect(found[INVARIANT.approved]).toEqual([`${record.approvalId} (delete_pod) ran while its approval is rejected`]);
    expect(found[INVARIANT.refused]).toEqual([`${record.approvalId} is rejected but ran 1 time(s)`]);
  });

  it('fail a full run in which no kill interrupted a non-idempotent call, and only warn in a short one', () => {
    const run = cleanRun();
    const interrupted = run.rounds.find((each) => each.state.toolCalls.some((call) => call.tool === 'slow'))!;
    run.rounds.splice(run.rounds.indexOf(interrupted), 1);
    expect(violations(run.input())).toEqual({
      [INVARIANT.unknown]: [expect.stringMatching(/^no kill landed in the middle of a non-idempotent call/)],
    });
    const short = checkInvariants(run.input({ short: true }));
    expect(short.filter((result) => result.violations.length > 0)).toEqual([]);
    expect(short.find((result) => result.name === INVARIANT.unknown)?.warning).toMatch(/no kill landed/);
  });

  it('report a round that failed though its plan meant it to complete, and one that completed though planned to fail', () => {
    const run = cleanRun();
    const { at } = find(run.rounds, 'echo', 'succeeded');
    at.state.status = 'failed';
    at.state.error = { type: 'LlmRequestRejected', message: 'the model refused' };
    const planned = run.rounds.find((each) => each.driven.plan.outcome === 'failed')!;
    planned.state.status = 'completed';
    delete planned.state.error;
    expect(violations(run.input())).toEqual({
      [INVARIANT.ends]: [
        `${at.state.roundId}: failed, but plan 20 meant it to be completed: LlmRequestRejected the model refused`,
        `${planned.state.roundId}: completed, but plan 22 meant it to be failed`,
      ],
    });
  });

  it('report an HTTP 500 from the API', () => {
    const serverErrors = ['GET /v1/rounds/round-3: HTTP 500 {"error":{"code":"internal"}}'];
    expect(violations(cleanRun().input({ api: { count: 120, serverErrors } }))).toEqual({
      [INVARIANT.api]: serverErrors,
    });
  });
});

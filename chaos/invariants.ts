// The invariants checked after a chaos run, each with the number of cases it covered and its violations.
// A check that covered nothing proves nothing: where a run could pass without exercising a property (no
// decision landed, no kill hit a non-idempotent call), a minimum coverage is part of the invariant.
import type { ObservedCall } from '../testkit/mcp-recorder.ts';
import { firstUserMessage, type RecordedLlmRequest } from '../testkit/scripted-llm-server.ts';
import type {
  ApprovalRecord,
  DecisionRecord,
  DecisionRequest,
  RoundState,
  ToolCallRecord,
} from '../workflows/contract.ts';
import type { ApiAnswers, DrivenRound, SentDecision } from './driver.ts';
import { GATED, LOCAL_READS, NON_IDEMPOTENT, type ToolName } from './plan.ts';

export interface InvariantResult {
  name: string;
  checked: number;
  violations: string[];
  /** Informational lines (counts), printed under the invariant. */
  notes: string[];
  /** A warning is printed prominently but does not fail the run (used for coverage gaps in --short runs). */
  warning?: string;
}

export interface InvariantInput {
  rounds: DrivenRound[];
  states: Map<string, RoundState | { error: string }>;
  calls: ObservedCall[];
  llmRequests: RecordedLlmRequest[];
  api: ApiAnswers;
  /**
   * A `--short` (CI) run: too small to guarantee that a kill lands in the middle of a non-idempotent call, so
   * that coverage gap is a warning there and a failure of a full run. Minimum decision coverage is scaled down.
   */
  short: boolean;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const UNKNOWN_TEXT = 'outcome is unknown';
const DRIVER = 'alice';

/**
 * Minimum decision coverage, as a share of the driver's intents of that kind. The full run in docs/performance.md
 * (seed 196008) landed about 98% of its approve intents (701 approved calls ran) and nearly all rejections
 * (298); the short runs land a similar share (see docs/performance.md). 50% leaves a wide margin for kills, dev-server
 * downtime and approvals that legitimately expire while no worker answers, and still fails a run in which the
 * decision path is mostly broken. A short run drives only ~60-80 approve and ~25-35 reject intents, so it uses
 * a lower share with a small absolute floor.
 */
export const COVERAGE = {
  full: { share: 0.5, floor: 5 },
  short: { share: 0.2, floor: 5 },
} as const;

function key(roundId: string, toolCallId: string): string {
  return `${roundId}\u0000${toolCallId}`;
}

function minimumFor(intents: number, short: boolean): number {
  const { share, floor } = short ? COVERAGE.short : COVERAGE.full;
  return Math.max(floor, Math.ceil(share * intents));
}

function ms(iso: string | undefined): number {
  return iso === undefined ? Number.NaN : Date.parse(iso);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** The run's data with the indexes every invariant reads. */
interface Run extends InvariantInput {
  /** Each tool call record by round and call id, with its approval. */
  records: Map<string, { roundId: string; record: ToolCallRecord; approval?: ApprovalRecord }>;
  approvals: Map<string, ApprovalRecord>;
  roundOfApproval: Map<string, string>;
  /** The MCP server's calls by round and call id. */
  mcpCalls: Map<string, ObservedCall[]>;
  mcpCount: (roundId: string, toolCallId: string) => number;
  /** The driver's decision on each approval it saw pending. */
  intents: Map<string, SentDecision>;
}

function indexRun(input: InvariantInput): Run {
  const { rounds, states, calls } = input;
  const records = new Map<string, { roundId: string; record: ToolCallRecord; approval?: ApprovalRecord }>();
  const approvals = new Map<string, ApprovalRecord>();
  const roundOfApproval = new Map<string, string>();
  for (const [roundId, state] of states) {
    if (!('status' in state)) continue;
    for (const approval of state.approvals) {
      approvals.set(approval.approvalId, approval);
      roundOfApproval.set(approval.approvalId, roundId);
    }
    for (const record of state.toolCalls) {
      records.set(key(roundId, record.toolCallId), {
        roundId,
        record,
        ...(record.approvalId && approvals.has(record.approvalId)
          ? { approval: approvals.get(record.approvalId)! }
          : {}),
      });
    }
  }
  const mcpCalls = new Map<string, ObservedCall[]>();
  for (const call of calls) {
    const callKey = key(call.roundId, call.toolCallId);
    mcpCalls.set(callKey, [...(mcpCalls.get(callKey) ?? []), call]);
  }
  const mcpCount = (roundId: string, toolCallId: string): number => mcpCalls.get(key(roundId, toolCallId))?.length ?? 0;
  const intents = new Map<string, SentDecision>();
  for (const round of rounds) for (const decision of round.decisions) intents.set(decision.approvalId, decision);
  return { ...input, records, approvals, roundOfApproval, mcpCalls, mcpCount, intents };
}

/** 1. Every round reaches the final state its plan meant: none lost, none failed unless planned to. */
function roundsEndAsPlanned(run: Run): InvariantResult {
  const { rounds, states } = run;
  const result: InvariantResult = {
    name: 'every round reaches the final state its plan meant (none lost, no unplanned failure)',
    checked: rounds.length,
    violations: [],
    notes: [],
  };
  const byStatus = new Map<string, number>();
  for (const round of rounds) {
    const state = round.roundId ? states.get(round.roundId) : undefined;
    const status = state && 'status' in state ? state.status : 'lost';
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const driver = round.error ? ` (driver: ${round.error})` : '';
    if (!round.roundId)
      result.violations.push(`plan ${round.plan.index}: never started (${round.error ?? 'no round id'})`);
    else if (!state || !('status' in state))
      result.violations.push(`${round.roundId}: no state (${state && 'error' in state ? state.error : 'missing'})`);
    else if (!FINAL.has(state.status)) result.violations.push(`${round.roundId}: still ${state.status}${driver}`);
    else if (state.status !== round.plan.outcome) {
      const error = state.error ? `: ${state.error.type} ${state.error.message.slice(0, 160)}` : '';
      result.violations.push(
        `${round.roundId}: ${state.status}, but plan ${round.plan.index} meant it to be ${round.plan.outcome}${error}${driver}`,
      );
    }
  }
  const planned = rounds.filter((round) => round.plan.outcome === 'failed').length;
  result.notes.push(
    `${[...byStatus].map(([status, count]) => `${status} ${count}`).join(', ')}; ${planned} planned to fail`,
  );
  return result;
}

/** 2. No completed tool call executed again; every execution is a recorded attempt. */
function noCallRanMoreThanRecorded(run: Run): InvariantResult {
  const { calls, records, mcpCalls } = run;
  const result: InvariantResult = {
    name: 'no tool call executed more often than recorded; non-idempotent ones at most once',
    checked: 0,
    violations: [],
    notes: [],
  };
  let retriedSafe = 0;
  let lostReads = 0;
  for (const [callKey, observed] of mcpCalls) {
    const count = observed.length;
    result.checked++;
    const entry = records.get(callKey);
    const [roundId, toolCallId] = callKey.split('\u0000');
    if (!entry) {
      // A read of a workflow task its worker never completed: the task ran again with a new LLM reply.
      if (observed.every((call) => LOCAL_READS.has(call.tool as ToolName))) lostReads++;
      else result.violations.push(`MCP call ${roundId}/${toolCallId} has no tool-call record in its round`);
      continue;
    }
    const tool = entry.record.tool as ToolName;
    if (NON_IDEMPOTENT.has(tool) && count > 1)
      result.violations.push(`${roundId}/${toolCallId} (${tool}, not idempotent) executed ${count} times`);
    if (count > entry.record.attempts) {
      result.violations.push(
        `${roundId}/${toolCallId} (${tool}) executed ${count} times, ${entry.record.attempts} attempt(s) recorded`,
      );
    }
    if (count > 1) retriedSafe++;
  }
  result.notes.push(
    `${calls.length} MCP calls over ${mcpCalls.size} tool calls; ${retriedSafe} retry-safe call(s) deliberately re-run after a lost worker; ${lostReads} read(s) of a workflow task lost with its worker`,
  );
  return result;
}

/** 3. A gated tool never ran without an approve decision. */
function gatedCallsRanOnlyWhenApproved(run: Run): InvariantResult {
  const { calls, records, intents } = run;
  const result: InvariantResult = {
    name: 'a gated tool never ran without an approve decision',
    checked: 0,
    violations: [],
    notes: [],
  };
  for (const call of calls) {
    if (!GATED.has(call.tool as ToolName)) continue;
    result.checked++;
    const entry = records.get(key(call.roundId, call.toolCallId));
    const approval = entry?.approval;
    const intent = approval ? intents.get(approval.approvalId) : undefined;
    if (!approval)
      result.violations.push(`${call.roundId}/${call.toolCallId} (${call.tool}) ran without an approval record`);
    else if (approval.status !== 'approved' || approval.decision?.decision !== 'approve') {
      result.violations.push(`${approval.approvalId} (${call.tool}) ran while its approval is ${approval.status}`);
    } else if (intent?.intent !== 'approve') {
      result.violations.push(
        `${approval.approvalId} (${call.tool}) ran but the driver's intent was ${intent?.intent ?? 'unknown'}`,
      );
    }
  }
  return result;
}

/**
 * 4. A gated call reached the MCP server only after its approval was decided and applied.
 *
 * Clocks: the MCP server's receivedAt is Date.now() in the chaos process; decidedAt is the API's Date.now() when
 * it received the decision (clamped up to openedAt, the Temporal server's time of the workflow task that opened
 * the approval, which precedes any decision); closedAt is the time of the workflow task that applied the
 * decision. All are the same host's wall clock, and each is taken causally before the activity that sends the
 * call is even scheduled, so no skew allowance is needed: any arrival earlier than either is a violation.
 */
function gatedCallsArrivedAfterTheirDecision(run: Run): InvariantResult {
  const { calls, records } = run;
  const result: InvariantResult = {
    name: 'a gated call reached the MCP server only after its approval was decided',
    checked: 0,
    violations: [],
    notes: [],
  };
  const gaps: number[] = [];
  for (const call of calls) {
    if (!GATED.has(call.tool as ToolName)) continue;
    const approval = records.get(key(call.roundId, call.toolCallId))?.approval;
    if (!approval) continue; // reported by the previous invariant
    result.checked++;
    const where = `${approval.approvalId} (${call.tool})`;
    if (!Number.isFinite(call.receivedAt)) {
      result.violations.push(`${where}: the MCP server recorded no arrival time`);
      continue;
    }
    const decidedAt = ms(approval.decision?.decidedAt);
    const closedAt = ms(approval.closedAt);
    if (!Number.isFinite(decidedAt)) {
      result.violations.push(`${where}: ran, but its approval has no decision time (status ${approval.status})`);
      continue;
    }
    if (call.receivedAt < decidedAt) {
      result.violations.push(
        `${where}: arrived at the MCP server ${decidedAt - call.receivedAt} ms before its decision (${new Date(call.receivedAt).toISOString()} < decidedAt ${approval.decision!.decidedAt})`,
      );
    }
    if (!Number.isFinite(closedAt)) result.violations.push(`${where}: ran, but its approval has no closedAt`);
    else if (call.receivedAt < closedAt) {
      result.violations.push(
        `${where}: arrived at the MCP server ${closedAt - call.receivedAt} ms before the round applied its decision (closedAt ${approval.closedAt})`,
      );
    }
    gaps.push(call.receivedAt - decidedAt);
  }
  if (gaps.length > 0) {
    result.notes.push(
      `decision -> arrival at the MCP server: min ${percentile(gaps, 0)} ms, median ${percentile(gaps, 0.5)} ms, max ${percentile(gaps, 1)} ms (no clock-skew allowance)`,
    );
  }
  return result;
}

/** 5. A rejected or expired call never ran. */
function refusedCallsNeverRan(run: Run): InvariantResult {
  const { records, mcpCount } = run;
  const result: InvariantResult = {
    name: 'a rejected or expired call never ran',
    checked: 0,
    violations: [],
    notes: [],
  };
  let rejected = 0;
  let expired = 0;
  for (const entry of records.values()) {
    const status = entry.approval?.status;
    if (status !== 'rejected' && status !== 'expired') continue;
    result.checked++;
    if (status === 'rejected') rejected++;
    else expired++;
    const count = mcpCount(entry.roundId, entry.record.toolCallId);
    if (count > 0) result.violations.push(`${entry.approval!.approvalId} is ${status} but ran ${count} time(s)`);
    if (entry.record.outcome !== status)
      result.violations.push(
        `${entry.approval!.approvalId} is ${status} but the call's outcome is ${entry.record.outcome}`,
      );
    if (entry.record.attempts !== 0)
      result.violations.push(
        `${entry.approval!.approvalId} is ${status} but ${entry.record.attempts} attempt(s) are recorded`,
      );
  }
  result.notes.push(`${rejected} rejected, ${expired} expired`);
  return result;
}

/**
 * 6. Every approval record is consistent with the decision semantics: a decision is made (decidedAt) before the
 * approval expires, and applied (closedAt) no earlier than it was made; an expired approval closes at exactly
 * expiresAt and never carries a decision; a decision made after expiry is refused and kept in `ignored`, never
 * applied.
 */
function approvalRecordsAreConsistent(run: Run): InvariantResult {
  const { approvals } = run;
  const result: InvariantResult = {
    name: 'approval records are consistent (decided before expiry; expired at expiresAt, undecided)',
    checked: 0,
    violations: [],
    notes: [],
  };
  const byStatus = new Map<string, number>();
  let ignoredLate = 0;
  let ignoredDuplicate = 0;
  const lostToTimer: string[] = [];
  for (const approval of approvals.values()) {
    result.checked++;
    byStatus.set(approval.status, (byStatus.get(approval.status) ?? 0) + 1);
    const id = approval.approvalId;
    const openedAt = ms(approval.openedAt);
    const expiresAt = ms(approval.expiresAt);
    const closedAt = ms(approval.closedAt);
    // Read from the API as data: the types promise what this check verifies.
    const decision: DecisionRecord | undefined = approval.decision;
    const status: string = approval.status;
    switch (approval.status) {
      case 'approved':
      case 'rejected': {
        const wanted = approval.status === 'approved' ? 'approve' : 'reject';
        if (!decision) {
          result.violations.push(`${id}: ${status} without a decision`);
          break;
        }
        if (decision.decision !== wanted)
          result.violations.push(`${id}: ${approval.status} but its decision is ${decision.decision}`);
        const decidedAt = ms(decision.decidedAt);
        if (!Number.isFinite(decidedAt)) result.violations.push(`${id}: decidedAt ${decision.decidedAt} is not a time`);
        else {
          if (decidedAt < openedAt)
            result.violations.push(`${id}: decided at ${decision.decidedAt}, before it opened at ${approval.openedAt}`);
          if (decidedAt >= expiresAt)
            result.violations.push(
              `${id}: decision made at ${decision.decidedAt}, at or after expiry ${approval.expiresAt}, was applied`,
            );
          if (!Number.isFinite(closedAt)) result.violations.push(`${id}: ${approval.status} without closedAt`);
          else if (closedAt < decidedAt)
            result.violations.push(
              `${id}: closed at ${approval.closedAt}, before its decision was made at ${decision.decidedAt}`,
            );
        }
        break;
      }
      case 'expired':
        if (decision)
          result.violations.push(
            `${id}: expired but carries a decision by ${decision.approver.id} (${decision.decision})`,
          );
        if (closedAt !== expiresAt)
          result.violations.push(
            `${id}: expired, closedAt ${approval.closedAt ?? 'missing'} is not expiresAt ${approval.expiresAt}`,
          );
        break;
      case 'cancelled':
        if (decision) result.violations.push(`${id}: cancelled but carries a decision`);
        if (!Number.isFinite(closedAt)) result.violations.push(`${id}: cancelled without closedAt`);
        break;
      case 'pending':
        result.violations.push(`${id}: still pending`);
        break;
    }
    for (const ignored of approval.ignored) {
      const request = ignored.request as Partial<DecisionRequest>;
      if (request.approver?.id !== DRIVER)
        result.violations.push(`${id}: ignored decision from a stranger (${request.approver?.id})`);
      const madeAt = ms(request.receivedAt);
      if (Number.isFinite(madeAt) && madeAt >= expiresAt) ignoredLate++;
      else if (decision) ignoredDuplicate++;
      else if (approval.status === 'expired') lostToTimer.push(id);
    }
  }
  result.notes.push([...byStatus].map(([status, count]) => `${status} ${count}`).join(', '));
  result.notes.push(
    `ignored decisions: ${ignoredLate} made after expiry (refused), ${ignoredDuplicate} after an earlier decision, ` +
      `${lostToTimer.length} made before expiry but reaching the round after it had expired` +
      `${lostToTimer.length > 0 ? ` (${lostToTimer.slice(0, 5).join(', ')}${lostToTimer.length > 5 ? ', ...' : ''})` : ''}`,
  );
  return result;
}

/** 7. Every approval's recorded outcome matches the driver's decision (or expired, with the reason visible). */
function outcomesMatchTheDriversDecisions(run: Run): InvariantResult {
  const { approvals, intents } = run;
  const result: InvariantResult = {
    name: "every approval's outcome matches the driver's decision (or expired)",
    checked: 0,
    violations: [],
    notes: [],
  };
  const answers = new Map<string, number>();
  for (const approval of approvals.values()) {
    result.checked++;
    const sent = intents.get(approval.approvalId);
    if (!sent) {
      if (approval.status !== 'expired')
        result.violations.push(`${approval.approvalId}: ${approval.status}, but the driver never saw it pending`);
      continue;
    }
    answers.set(`${sent.intent}/${sent.answer}`, (answers.get(`${sent.intent}/${sent.answer}`) ?? 0) + 1);
    const wanted = sent.intent === 'approve' ? 'approved' : sent.intent === 'reject' ? 'rejected' : 'expired';
    const decidedByDriver = approval.decision?.approver.id === DRIVER && approval.decision.decision === sent.intent;
    const landed = approval.status === wanted && decidedByDriver;
    // A queued decision is durable in the round's history: if it did not win, the round kept it as ignored.
    const keptAsIgnored = approval.ignored.some((entry) => {
      const request = entry.request as Partial<DecisionRequest>;
      return request.approver?.id === DRIVER && request.decision === sent.intent;
    });
    let ok: boolean;
    switch (sent.answer) {
      case 'applied':
        ok = landed;
        break;
      case 'queued':
        ok = landed || (approval.status === 'expired' && keptAsIgnored);
        break;
      case 'unknown':
        ok = landed || approval.status === 'expired';
        break;
      case 'closed':
        ok = approval.status === sent.closedStatus && (landed || approval.status === 'expired');
        break;
      case 'not_sent':
        ok = approval.status === 'expired';
        break;
    }
    if (!ok) {
      result.violations.push(
        `${approval.approvalId}: driver ${sent.intent} (answer ${sent.answer}${sent.closedStatus ? ` ${sent.closedStatus}` : ''}), recorded ${approval.status}` +
          `${approval.decision ? ` by ${approval.decision.approver.id} (${approval.decision.decision})` : ''}` +
          `${sent.answer === 'queued' && approval.status === 'expired' ? ', and the queued decision is not among the ignored ones' : ''}`,
      );
    }
  }
  result.notes.push(
    [...answers]
      .sort()
      .map(([what, count]) => `${what} ${count}`)
      .join(', '),
  );
  return result;
}

/**
 * 8. Minimum coverage: decisions landed and approved calls ran. Invariant 7 accepts `expired` for decisions the
 * API could not confirm; without a minimum, a run in which no decision ever landed (every approval expired)
 * would pass it, and invariants 3-5 would check nothing.
 */
function decisionsLandedOften(run: Run): InvariantResult {
  const { short, approvals, roundOfApproval, mcpCount, intents } = run;
  const result: InvariantResult = {
    name: 'minimum coverage: approvals and rejections landed, approved calls ran',
    checked: 0,
    violations: [],
    notes: [],
  };
  let approveIntents = 0;
  let rejectIntents = 0;
  let approvedByDriver = 0;
  let approvedApplied = 0;
  let rejectedByDriver = 0;
  let rejectedApplied = 0;
  let approvedRan = 0;
  for (const sent of intents.values()) {
    if (sent.intent === 'approve') approveIntents++;
    if (sent.intent === 'reject') rejectIntents++;
    const approval = approvals.get(sent.approvalId);
    if (!approval || approval.decision?.approver.id !== DRIVER || approval.decision.decision !== sent.intent) continue;
    if (sent.intent === 'approve' && approval.status === 'approved') {
      approvedByDriver++;
      if (sent.answer === 'applied') approvedApplied++;
      const roundId = roundOfApproval.get(approval.approvalId)!;
      if (mcpCount(roundId, approval.toolCallId) > 0) approvedRan++;
    }
    if (sent.intent === 'reject' && approval.status === 'rejected') {
      rejectedByDriver++;
      if (sent.answer === 'applied') rejectedApplied++;
    }
  }
  result.checked = approveIntents + rejectIntents;
  const { share, floor } = short ? COVERAGE.short : COVERAGE.full;
  const minApprove = minimumFor(approveIntents, short);
  const minReject = minimumFor(rejectIntents, short);
  const require = (what: string, got: number, minimum: number, intentCount: number, kind: string): void => {
    if (got >= minimum) return;
    result.violations.push(
      `too few ${what}: ${got}, minimum ${minimum} (${short ? 'short' : 'full'} run: ${Math.round(share * 100)}% of ${intentCount} ${kind} intents, at least ${floor})`,
    );
  };
  require('approvals applied as approved', approvedByDriver, minApprove, approveIntents, 'approve');
  require('rejections applied', rejectedByDriver, minReject, rejectIntents, 'reject');
  require('approved calls that ran on the MCP server', approvedRan, minApprove, approveIntents, 'approve');
  result.notes.push(
    `approve: ${approveIntents} intents, ${approvedByDriver} applied as approved (${approvedApplied} answered applied), ${approvedRan} ran on the MCP server; minimum ${minApprove}`,
  );
  result.notes.push(
    `reject: ${rejectIntents} intents, ${rejectedByDriver} applied as rejected (${rejectedApplied} answered applied); minimum ${minReject}`,
  );
  return result;
}

/**
 * 9. Non-idempotent calls: a call that may have reached the server is "outcome unknown" after one attempt and ran
 * at most once; one that ran is never reported as failed or cancelled; none is shared.
 */
function interruptedCallsAreOutcomeUnknown(run: Run): InvariantResult {
  const { rounds, states, short, records, mcpCount, llmRequests } = run;
  const result: InvariantResult = {
    name: 'interrupted non-idempotent calls are reported as "outcome unknown", never re-run',
    checked: 0,
    violations: [],
    notes: [],
  };
  // What the model was told about each tool call, keyed by plan (the scripted LLM's call ids are unique per
  // server, the plan index makes it certain) and call id.
  const planOfRound = new Map<string, number>();
  for (const round of rounds) if (round.roundId) planOfRound.set(round.roundId, round.plan.index);
  const told = new Map<string, string[]>();
  for (const request of llmRequests) {
    const plan = /plan:(\d+)/.exec(firstUserMessage(request) ?? '')?.[1] ?? '?';
    for (const message of request.body.messages) {
      if (message.role !== 'tool' || typeof message.content !== 'string') continue;
      const toldKey = `${plan}\u0000${message.tool_call_id ?? ''}`;
      told.set(toldKey, [...(told.get(toldKey) ?? []), message.content]);
    }
  }
  let unknown = 0;
  let unknownNotReached = 0;
  let completed = 0;
  let otherwise = 0;
  for (const entry of records.values()) {
    const tool = entry.record.tool as ToolName | undefined;
    if (!tool || !NON_IDEMPOTENT.has(tool)) continue;
    const where = `${entry.roundId}/${entry.record.toolCallId} (${tool})`;
    const record = entry.record;
    if (record.reusedFrom) {
      result.violations.push(`${where}: a non-idempotent call reused the result of ${record.reusedFrom}`);
      continue;
    }
    const count = mcpCount(entry.roundId, record.toolCallId);
    const state = states.get(entry.roundId);
    const roundStatus = state && 'status' in state ? state.status : undefined;
    switch (record.outcome) {
      case 'outcome_unknown': {
        result.checked++;
        unknown++;
        if (count === 0) unknownNotReached++;
        if (count > 1) result.violations.push(`${where}: outcome unknown but executed ${count} times`);
        if (record.attempts !== 1)
          result.violations.push(`${where}: outcome unknown after ${record.attempts} attempts, not exactly one`);
        if (!record.content.includes(UNKNOWN_TEXT))
          result.violations.push(`${where}: content does not say the outcome is unknown`);
        // After a tool step the round asks the model again, so a completed round told the model.
        if (roundStatus === 'completed') {
          const messages = told.get(`${planOfRound.get(entry.roundId) ?? '?'}\u0000${record.toolCallId}`) ?? [];
          if (messages.length === 0) result.violations.push(`${where}: the model was never told about this call`);
          else if (!messages.every((content) => content.includes(UNKNOWN_TEXT))) {
            result.violations.push(
              `${where}: the model was told something other than "${UNKNOWN_TEXT}": ${messages.find((content) => !content.includes(UNKNOWN_TEXT))!.slice(0, 160)}`,
            );
          }
        }
        break;
      }
      case 'succeeded':
      case 'tool_error':
        completed++;
        if (count !== 1) result.violations.push(`${where}: ${record.outcome} but executed ${count} times`);
        break;
      case 'failed':
      case 'cancelled':
      case 'invalid':
        otherwise++;
        // Reported as not having taken effect: it must not have reached the server.
        if (count > 0)
          result.violations.push(
            `${where}: reached the MCP server ${count} time(s) but is reported as ${record.outcome}, not outcome_unknown: ${record.content.slice(0, 160)}`,
          );
        result.notes.push(
          `${where} ${record.outcome} after ${record.attempts} attempt(s): ${record.content.slice(0, 160)}`,
        );
        break;
      case 'in_progress':
        if (roundStatus && FINAL.has(roundStatus))
          result.violations.push(`${where}: still in progress in a ${roundStatus} round`);
        break;
      default:
        // rejected / expired: checked by "a rejected or expired call never ran"
        break;
    }
  }
  result.notes.unshift(
    `${unknown} interrupted (outcome unknown after one attempt, executed at most once, reported to the model; ${unknownNotReached} never reached the server), ` +
      `${completed} completed once, ${otherwise} failed without reaching the server`,
  );
  if (unknown === 0) {
    const gap = 'no kill landed in the middle of a non-idempotent call, so this invariant checked nothing';
    if (short) result.warning = `${gap} (a failure in a full run; a --short run is too small to guarantee one)`;
    else result.violations.push(`${gap}: a full run must interrupt at least one (more kills or longer \`slow\` calls)`);
  }
  return result;
}

/**
 * 10. The API never answered with a server error: a fault it knows of (Temporal or the workers unavailable) is a
 * 503 the driver retries; a 500 is a bug, however well the driver would recover from it by retrying.
 */
function apiAnsweredWithoutServerErrors(run: Run): InvariantResult {
  const { api } = run;
  return {
    name: 'the API never answered with a server error (a 5xx other than 503)',
    checked: api.count,
    violations: [...api.serverErrors],
    notes: [],
  };
}

export function checkInvariants(input: InvariantInput): InvariantResult[] {
  const run = indexRun(input);
  return [
    roundsEndAsPlanned(run),
    noCallRanMoreThanRecorded(run),
    gatedCallsRanOnlyWhenApproved(run),
    gatedCallsArrivedAfterTheirDecision(run),
    refusedCallsNeverRan(run),
    approvalRecordsAreConsistent(run),
    outcomesMatchTheDriversDecisions(run),
    decisionsLandedOften(run),
    interruptedCallsAreOutcomeUnknown(run),
    apiAnsweredWithoutServerErrors(run),
  ];
}

// The invariants checked after a chaos run, each with the number of cases it covered and its violations.
import type { ObservedCall } from '../bench/mcp-recorder.ts';
import type { RecordedLlmRequest } from '../test/support/scripted-llm-server.ts';
import type { ApprovalRecord, RoundState, ToolCallRecord } from '../workflows/contract.ts';
import type { DrivenRound } from './driver.ts';
import { GATED, NON_IDEMPOTENT, type ToolName } from './plan.ts';

export interface InvariantResult {
  name: string;
  checked: number;
  violations: string[];
  /** Informational lines (counts), printed under the invariant. */
  notes: string[];
  /** A warning is printed but does not fail the run. */
  warning?: string;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const UNKNOWN_TEXT = 'outcome is unknown';

function key(roundId: string, toolCallId: string): string {
  return `${roundId}\u0000${toolCallId}`;
}

export function checkInvariants(input: {
  rounds: DrivenRound[];
  states: Map<string, RoundState | { error: string }>;
  calls: ObservedCall[];
  llmRequests: RecordedLlmRequest[];
}): InvariantResult[] {
  const { rounds, states, calls } = input;
  const results: InvariantResult[] = [];

  // ---- 1. every round reaches a final state
  {
    const result: InvariantResult = { name: 'every round reaches a final state (none lost)', checked: rounds.length, violations: [], notes: [] };
    const byStatus = new Map<string, number>();
    for (const round of rounds) {
      const state = round.roundId ? states.get(round.roundId) : undefined;
      const status = state && 'status' in state ? state.status : 'lost';
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      if (!round.roundId) result.violations.push(`plan ${round.plan.index}: never started (${round.error ?? 'no round id'})`);
      else if (!state || !('status' in state)) result.violations.push(`${round.roundId}: no state (${state && 'error' in state ? state.error : 'missing'})`);
      else if (!FINAL.has(state.status)) result.violations.push(`${round.roundId}: still ${state.status}${round.error ? ` (driver: ${round.error})` : ''}`);
    }
    result.notes.push([...byStatus].map(([status, count]) => `${status} ${count}`).join(', '));
    if ((byStatus.get('failed') ?? 0) + (byStatus.get('cancelled') ?? 0) > 0) result.warning = 'some rounds did not complete successfully';
    results.push(result);
  }

  // Index the recorded tool calls and approvals of every round.
  const records = new Map<string, { roundId: string; record: ToolCallRecord; approval?: ApprovalRecord }>();
  const approvals = new Map<string, ApprovalRecord>();
  for (const [roundId, state] of states) {
    if (!('status' in state)) continue;
    for (const approval of state.approvals) approvals.set(approval.approvalId, approval);
    for (const record of state.toolCalls) {
      records.set(key(roundId, record.toolCallId), {
        roundId,
        record,
        ...(record.approvalId && approvals.has(record.approvalId) ? { approval: approvals.get(record.approvalId)! } : {}),
      });
    }
  }
  const mcpCount = new Map<string, number>();
  for (const call of calls) mcpCount.set(key(call.roundId, call.toolCallId), (mcpCount.get(key(call.roundId, call.toolCallId)) ?? 0) + 1);
  const intents = new Map<string, DrivenRound['decisions'][number]>();
  for (const round of rounds) for (const decision of round.decisions) intents.set(decision.approvalId, decision);

  // ---- 2. no completed tool call executed again; every execution is a recorded attempt
  {
    const result: InvariantResult = { name: 'no tool call executed more often than recorded; non-idempotent ones at most once', checked: 0, violations: [], notes: [] };
    let retriedSafe = 0;
    for (const [callKey, count] of mcpCount) {
      result.checked++;
      const entry = records.get(callKey);
      const [roundId, toolCallId] = callKey.split('\u0000');
      if (!entry) {
        result.violations.push(`MCP call ${roundId}/${toolCallId} has no tool-call record in its round`);
        continue;
      }
      const tool = entry.record.tool as ToolName;
      if (NON_IDEMPOTENT.has(tool) && count > 1) result.violations.push(`${roundId}/${toolCallId} (${tool}, not idempotent) executed ${count} times`);
      if (count > entry.record.attempts) {
        result.violations.push(`${roundId}/${toolCallId} (${tool}) executed ${count} times, ${entry.record.attempts} attempt(s) recorded`);
      }
      if (count > 1) retriedSafe++;
    }
    result.notes.push(`${calls.length} MCP calls over ${mcpCount.size} tool calls; ${retriedSafe} retry-safe call(s) deliberately re-run after a lost worker`);
    results.push(result);
  }

  // ---- 3. a gated tool never ran without an approve decision
  {
    const result: InvariantResult = { name: 'a gated tool never ran without an approve decision', checked: 0, violations: [], notes: [] };
    for (const call of calls) {
      if (!GATED.has(call.tool as ToolName)) continue;
      result.checked++;
      const entry = records.get(key(call.roundId, call.toolCallId));
      const approval = entry?.approval;
      const intent = approval ? intents.get(approval.approvalId) : undefined;
      if (!approval) result.violations.push(`${call.roundId}/${call.toolCallId} (${call.tool}) ran without an approval record`);
      else if (approval.status !== 'approved' || approval.decision?.decision !== 'approve') {
        result.violations.push(`${approval.approvalId} (${call.tool}) ran while its approval is ${approval.status}`);
      } else if (intent?.intent !== 'approve') {
        result.violations.push(`${approval.approvalId} (${call.tool}) ran but the driver's intent was ${intent?.intent ?? 'unknown'}`);
      }
    }
    results.push(result);
  }

  // ---- 4. a rejected or expired call never ran
  {
    const result: InvariantResult = { name: 'a rejected or expired call never ran', checked: 0, violations: [], notes: [] };
    let rejected = 0;
    let expired = 0;
    for (const entry of records.values()) {
      const status = entry.approval?.status;
      if (status !== 'rejected' && status !== 'expired') continue;
      result.checked++;
      if (status === 'rejected') rejected++;
      else expired++;
      const count = mcpCount.get(key(entry.roundId, entry.record.toolCallId)) ?? 0;
      if (count > 0) result.violations.push(`${entry.approval!.approvalId} is ${status} but ran ${count} time(s)`);
      if (entry.record.outcome !== status) result.violations.push(`${entry.approval!.approvalId} is ${status} but the call's outcome is ${entry.record.outcome}`);
    }
    result.notes.push(`${rejected} rejected, ${expired} expired`);
    results.push(result);
  }

  // ---- 5. every approval's recorded outcome matches the driver's decision (or expired)
  {
    const result: InvariantResult = { name: "every approval's outcome matches the driver's decision (or expired)", checked: 0, violations: [], notes: [] };
    const answers = new Map<string, number>();
    for (const approval of approvals.values()) {
      result.checked++;
      const sent = intents.get(approval.approvalId);
      if (!sent) {
        if (approval.status !== 'expired') result.violations.push(`${approval.approvalId}: ${approval.status}, but the driver never saw it pending`);
        continue;
      }
      answers.set(`${sent.intent}/${sent.answer}`, (answers.get(`${sent.intent}/${sent.answer}`) ?? 0) + 1);
      const wanted = sent.intent === 'approve' ? 'approved' : sent.intent === 'reject' ? 'rejected' : 'expired';
      const decidedByDriver = approval.decision?.approver.id === 'alice';
      let ok: boolean;
      switch (sent.answer) {
        case 'applied':
          ok = approval.status === wanted && decidedByDriver;
          break;
        case 'queued':
        case 'unknown':
          ok = (approval.status === wanted && decidedByDriver) || approval.status === 'expired';
          break;
        case 'closed':
          ok = approval.status === sent.closedStatus && ((approval.status === wanted && decidedByDriver) || approval.status === 'expired');
          break;
        case 'not_sent':
          ok = approval.status === 'expired';
          break;
      }
      if (!ok) {
        result.violations.push(
          `${approval.approvalId}: driver ${sent.intent} (answer ${sent.answer}${sent.closedStatus ? ` ${sent.closedStatus}` : ''}), recorded ${approval.status}` +
            `${approval.decision ? ` by ${approval.decision.approver.id} (${approval.decision.decision})` : ''}`,
        );
      }
      for (const ignored of approval.ignored) {
        if (ignored.request.approver.id !== 'alice') result.violations.push(`${approval.approvalId}: ignored decision from a stranger`);
      }
    }
    result.notes.push([...answers].map(([what, count]) => `${what} ${count}`).join(', '));
    results.push(result);
  }

  // ---- 6. in-flight non-idempotent calls interrupted by a kill: "outcome unknown", never re-run
  {
    const result: InvariantResult = { name: 'interrupted non-idempotent calls are reported as "outcome unknown", never re-run', checked: 0, violations: [], notes: [] };
    const told = new Set<string>();
    for (const request of input.llmRequests) {
      for (const message of request.body.messages) {
        if (message.role === 'tool' && typeof message.content === 'string' && message.content.includes(UNKNOWN_TEXT)) told.add(message.tool_call_id ?? '');
      }
    }
    let unknown = 0;
    let succeeded = 0;
    for (const entry of records.values()) {
      const tool = entry.record.tool as ToolName | undefined;
      if (!tool || !NON_IDEMPOTENT.has(tool) || entry.record.reusedFrom) continue;
      const count = mcpCount.get(key(entry.roundId, entry.record.toolCallId)) ?? 0;
      if (entry.record.outcome === 'outcome_unknown') {
        result.checked++;
        unknown++;
        if (count > 1) result.violations.push(`${entry.roundId}/${entry.record.toolCallId} (${tool}): outcome unknown but executed ${count} times`);
        if (entry.record.attempts !== 1) result.violations.push(`${entry.roundId}/${entry.record.toolCallId} (${tool}): outcome unknown after ${entry.record.attempts} attempts`);
        if (!entry.record.content.includes(UNKNOWN_TEXT)) result.violations.push(`${entry.roundId}/${entry.record.toolCallId}: content does not say the outcome is unknown`);
        const state = states.get(entry.roundId);
        if (state && 'status' in state && state.status === 'completed' && !told.has(entry.record.toolCallId)) {
          result.violations.push(`${entry.roundId}/${entry.record.toolCallId}: the model was never told the outcome is unknown`);
        }
      } else if (entry.record.outcome === 'succeeded') {
        succeeded++;
        if (count !== 1) result.violations.push(`${entry.roundId}/${entry.record.toolCallId} (${tool}): succeeded but executed ${count} times`);
      } else if (entry.record.outcome === 'failed') {
        result.notes.push(`${entry.roundId}/${entry.record.toolCallId} (${tool}) failed: ${entry.record.content.slice(0, 160)}`);
      }
    }
    result.notes.unshift(`${unknown} interrupted (outcome unknown, each executed once and reported to the model), ${succeeded} completed once`);
    if (unknown === 0) result.warning = 'no kill landed in the middle of a non-idempotent call in this run';
    results.push(result);
  }
  return results;
}

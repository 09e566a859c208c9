// The tool calls of one LLM reply, concurrently: resolve each, share identical read-only ones, pass the gate
// where policy says so, run the rest. An approved call starts the moment it is cleared, whatever its siblings do.
import { isCancellation, log } from '@temporalio/workflow';
import { isPatched } from './round-patches.ts';
import { passGate } from './approval-gate.ts';
import { passUnderGrant, rememberApproval } from './grants/grant-gate.ts';
import { FULL_ARGUMENTS_PATCH, argumentsFacts } from './argument-facts.ts';
import type { CallSite } from './call-site.ts';
import { canonicalJson } from './canonical-json.ts';
import { clip } from './shared/clip.ts';
import { escapeInvisible } from './shared/visible-text.ts';
import type { LlmToolCall, ToolCallRecord, ToolDescriptor } from './contract.ts';
import { cancelledMessage, editedCallMessage, outcomeUnknownMessage, overLimitMessage } from './model-messages.ts';
import { CLOSED_POLICY_PATCH, isRetrySafe, requiresApproval } from './policy.ts';
import type { RoundContext } from './round-context.ts';
import { credentialFor } from './user-credential.ts';
import { executeToolCall, type ExecutionProgress, type ExecutionResult } from './tool-execution.ts';
import { resolveToolCall, type ResolvedCall, type ToolDirectory } from './tool-names.ts';
import { makeRoomFor, readsLocally } from './local-reads.ts';
import { toolCallSettled } from './round-metrics.ts';
import { inSpan } from './round-spans.ts';

const EVENT_ARGS_CHARS = 2000;
/** Records and events keep a preview of what the model was told; the transcript keeps all of it (within its budget). */
const RECORD_CONTENT_CHARS = 1000;

/** One settled call: its record, and the full text the model is told. */
export interface SettledCall {
  record: ToolCallRecord;
  content: string;
}

/** Identical read-only or idempotent calls of one LLM reply, sharing one execution. */
type SharedCalls = Map<string, { toolCallId: string; result: Promise<ExecutionResult>; progress: ExecutionProgress }>;

/**
 * Since this patch, at most `round.maxToolCallsPerReply` calls of one reply run (one reply asking for 20 ran all
 * 20); each call beyond it is answered, not run. Asked only of a reply over the bound: rounds before it ran all.
 */
export const CALLS_PER_REPLY_PATCH = 'calls-per-reply';

export async function runToolCalls(
  round: RoundContext,
  directory: ToolDirectory,
  calls: LlmToolCall[],
): Promise<SettledCall[]> {
  const shared: SharedCalls = new Map();
  const limit = round.maxToolCallsPerReply;
  const beyond: OverLimit | undefined =
    calls.length > limit && isPatched(CALLS_PER_REPLY_PATCH) ? { limit, calls: calls.length } : undefined;
  const resolved = calls.map((call) => resolveToolCall(directory, call));
  const running = beyond ? resolved.slice(0, limit) : resolved;
  const locally = readsLocally(running);
  if (locally) await makeRoomFor(running);
  return Promise.all(
    calls.map((call, index) =>
      runCall(round, shared, call, resolved[index]!, index, index >= limit ? beyond : undefined, locally),
    ),
  );
}

/** Set on a call beyond the per-reply bound: it is recorded and answered, never run. */
interface OverLimit {
  limit: number;
  calls: number;
}

async function runCall(
  round: RoundContext,
  shared: SharedCalls,
  call: LlmToolCall,
  resolved: ResolvedCall,
  callIndex: number,
  overLimit: OverLimit | undefined,
  locally: boolean,
): Promise<SettledCall> {
  const record: ToolCallRecord = {
    step: round.step,
    callIndex,
    toolCallId: call.id,
    name: call.name,
    outcome: 'in_progress',
    content: '',
    truncated: false,
    attempts: 0,
  };
  round.toolCalls.push(record);
  const viewed = isPatched(FULL_ARGUMENTS_PATCH);
  // Unresolved, no schema or configured path names its secrets; such a call never runs.
  const shown = resolved.ok ? argumentsFacts(resolved.tool, resolved.args) : undefined;
  round.events.emit({
    type: 'tool_call',
    step: round.step,
    toolCallId: call.id,
    name: call.name,
    server: resolved.ok ? resolved.tool.server : undefined,
    arguments: viewed
      ? clip(
          shown ? escapeInvisible(JSON.stringify(shown.arguments)) : escapeInvisible(call.arguments),
          EVENT_ARGS_CHARS,
        )
      : clip(call.arguments, EVENT_ARGS_CHARS),
  });
  if (overLimit) {
    // `invalid`: refused before running, as the model asked for more than a reply may hold.
    return settle(round, record, {
      outcome: 'invalid',
      content: overLimitMessage(call.name, overLimit.limit, overLimit.calls),
      truncated: false,
      attempts: 0,
    });
  }
  if (!resolved.ok) {
    return settle(round, record, {
      outcome: 'invalid',
      content: `${resolved.error} Do not retry this exact tool call.`,
      truncated: false,
      attempts: 0,
    });
  }
  const { tool, args } = resolved;
  Object.assign(record, { server: tool.server, tool: tool.name, arguments: viewed ? shown!.arguments : args });
  const key = `${tool.server}\u0000${tool.name}\u0000${canonicalJson(args)}`;
  const earlier = isRetrySafe(tool) ? shared.get(key) : undefined;
  if (earlier) record.reusedFrom = earlier.toolCallId;
  const progress: ExecutionProgress = earlier?.progress ?? { attempts: 0, mayHaveRun: false };
  // One span per execution: the gate's wait and every attempt, with where it ended.
  const result =
    earlier?.result ??
    inSpan(
      `tool ${tool.server}/${tool.name}`,
      {
        'toolgate.tool.server': tool.server,
        'toolgate.tool.name': tool.name,
        'toolgate.tool.call_id': call.id,
        'toolgate.round.step': round.step,
      },
      () => gateAndRun({ round, tool, args, call, callIndex, record, progress }, locally),
      (done) => ({ 'toolgate.tool.outcome': done.outcome, 'toolgate.tool.attempts': done.attempts }),
    );
  if (!earlier && isRetrySafe(tool)) shared.set(key, { toolCallId: call.id, result, progress });
  try {
    const outcome = await result;
    return settle(round, record, earlier ? { ...outcome, attempts: 0 } : outcome);
  } catch (error) {
    if (isCancellation(error)) settle(round, record, cancelledResult(tool, progress));
    throw error;
  }
}

/** `locally`: the reply's calls run as local activities (local-reads.ts), which only an ungated call can. */
async function gateAndRun(site: CallSite, locally: boolean): Promise<ExecutionResult> {
  const { round, tool, args, call, progress } = site;
  const before = credentialFor(round.input.credentials, tool, Date.now());
  if (!before.ok) return notRun(before.content);
  let edit: { arguments: Record<string, unknown>; approver: string } | undefined;
  const gated = requiresApproval(tool, args, isPatched(CLOSED_POLICY_PATCH));
  if (gated) {
    const underGrant = passUnderGrant(site);
    const verdict = (underGrant && (await underGrant)) || (await passGate(site));
    if (!verdict.cleared) return verdict.result;
    edit = verdict.edit;
    const remembering = rememberApproval(site);
    if (remembering) await remembering;
  }
  const after = credentialFor(round.input.credentials, tool, Date.now());
  if (!after.ok) return notRun(after.content);
  const ids = { roundId: round.roundId, toolCallId: call.id, step: round.step };
  const result = await executeToolCall(tool, edit?.arguments ?? args, ids, progress, after.credential, {
    locally: locally && !gated,
  });
  if (!edit) return result;
  const told = editedCallMessage(edit.approver, canonicalJson(args), canonicalJson(edit.arguments), result.content);
  return { ...result, content: told };
}

function notRun(content: string): ExecutionResult {
  return { outcome: 'failed', content, truncated: false, attempts: 0 };
}

/** Cancelled while the tool was running: it may have taken effect, and the audit must say so. */
function cancelledResult(tool: ToolDescriptor, progress: ExecutionProgress): ExecutionResult {
  if (!progress.mayHaveRun)
    return {
      outcome: 'cancelled',
      content: cancelledMessage(tool.name),
      truncated: false,
      attempts: progress.attempts,
    };
  const content = outcomeUnknownMessage(tool.name, 'the round was cancelled while the call was running');
  return { outcome: 'outcome_unknown', content, truncated: false, attempts: progress.attempts };
}

function settle(round: RoundContext, record: ToolCallRecord, result: ExecutionResult): SettledCall {
  Object.assign(record, { ...result, content: clip(result.content, RECORD_CONTENT_CHARS) });
  toolCallSettled(record);
  // An outcome nobody can vouch for is what an operator must look at first.
  log[record.outcome === 'outcome_unknown' ? 'warn' : 'info']('tool call settled', {
    step: record.step,
    toolCallId: record.toolCallId,
    server: record.server,
    tool: record.tool ?? record.name,
    outcome: record.outcome,
    attempts: record.attempts,
    ...(record.approvalId ? { approvalId: record.approvalId } : {}),
  });
  round.events.emit({
    type: 'tool_result',
    step: record.step,
    toolCallId: record.toolCallId,
    name: record.name,
    outcome: record.outcome,
    content: record.content,
    truncated: record.truncated,
  });
  return { record, content: result.content };
}

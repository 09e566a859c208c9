// One query round: LLM steps, each followed by its tool calls, every gated call behind a durable approval.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { ApprovalBook } from './approval-book.ts';
import { approvalSummary } from './approval-summary.ts';
import { ApprovalNotices } from './approval-notices.ts';
import { argsDigest, canonicalJson } from './canonical-json.ts';
import {
  FailureType,
  approvalIdFor,
  decideSignal,
  decideUpdate,
  eventsQuery,
  stateQuery,
  type ChatMessage,
  type LlmToolCall,
  type QueryRoundInput,
  type QueryRoundResult,
  type RoundState,
  type RoundStatus,
  type ToolCallRecord,
  type ToolDescriptor,
  type ToolgateActivities,
  type Usage,
} from './contract.ts';
import { EventLog } from './event-log.ts';
import { cancelledMessage, expiredMessage, outcomeUnknownMessage, rejectedMessage } from './model-messages.ts';
import { isRetrySafe, requiresApproval } from './policy.ts';
import { redactSecrets } from './redaction.ts';
import { RoundVisibility } from './round-visibility.ts';
import { executeToolCall, type ExecutionProgress, type ExecutionResult } from './tool-execution.ts';
import { buildToolDirectory, resolveToolCall, type ToolDirectory } from './tool-names.ts';

const DEFAULT_MAX_STEPS = 5;
const ARGS_PREVIEW_CHARS = 300;
const EVENT_ARGS_CHARS = 2000;
const NOTIFICATION_GRACE: Duration = '1 minute';

// Activities heartbeat: a worker lost mid-call is noticed within the heartbeat timeout, not at the deadline.
const HEARTBEAT_TIMEOUT = '15 seconds';

const { listTools } = proxyActivities<ToolgateActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { maximumAttempts: 3 },
});

const llmOptions: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: [FailureType.LlmRejected],
  },
};
const { callLlm } = proxyActivities<ToolgateActivities>(llmOptions);

function addUsage(total: Usage, more: Usage): void {
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.totalTokens += more.totalTokens;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function describeFailure(error: unknown): { type: string; message: string } {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  return { type: 'Error', message: cause instanceof Error ? cause.message : String(cause) };
}

/** Rounds may be started by hand (`temporal workflow start`), so the input is checked, not trusted. */
function inputProblem(input: QueryRoundInput): string | undefined {
  if (typeof input !== 'object' || input === null) return 'input must be an object';
  if (typeof input.query !== 'string' || input.query.trim() === '') return 'query must be a non-empty string';
  if (typeof input.requester !== 'string' || input.requester === '') return 'requester must be a non-empty string';
  if (input.messages !== undefined && !Array.isArray(input.messages)) return 'messages must be an array';
  if (input.servers !== undefined && !Array.isArray(input.servers)) return 'servers must be an array of server names';
  if (input.maxSteps !== undefined && !(Number.isInteger(input.maxSteps) && input.maxSteps >= 1 && input.maxSteps <= 50)) {
    return 'maxSteps must be an integer from 1 to 50';
  }
  return undefined;
}

export async function queryRound(input: QueryRoundInput): Promise<QueryRoundResult> {
  const problem = inputProblem(input);
  if (problem) throw ApplicationFailure.nonRetryable(`Invalid round input: ${problem}`, 'InvalidRoundInput');
  const roundId = workflowInfo().workflowId;
  const requester = input.requester;
  const events = new EventLog();
  const visibility = new RoundVisibility();
  const toolCalls: ToolCallRecord[] = [];
  const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const messages: ChatMessage[] = [...(input.messages ?? []), { role: 'user', content: input.query }];
  let step = 0;
  let maxSteps = input.maxSteps ?? DEFAULT_MAX_STEPS;
  let finalStatus: RoundStatus | undefined;
  let answer: string | undefined;
  let failure: { type: string; message: string } | undefined;

  const status = (): RoundStatus => finalStatus ?? (book.pending().length > 0 ? 'waiting_approval' : 'running');
  const publish = (): void => {
    const pending = book.pending();
    const details = finalStatus
      ? `Round ${finalStatus}`
      : pending.length > 0
        ? `Waiting for approval: ${pending.map((a) => `${a.server}/${a.tool} (${a.approvalId}, expires ${a.expiresAt})`).join('; ')}`
        : `Step ${step} of ${maxSteps}`;
    visibility.publish(status(), requester, book.all(), details);
  };
  const book = new ApprovalBook(publish);
  let notices = new ApprovalNotices(false);

  setHandler(decideSignal, (request) => {
    book.decide(request);
  });
  setHandler(decideUpdate, (request) => book.decide(request), { validator: (request) => book.validate(request) });
  setHandler(stateQuery, (): RoundState => ({
    roundId,
    status: status(),
    query: input.query,
    requester,
    step,
    maxSteps,
    toolCalls,
    approvals: book.all(),
    usage,
    answer,
    error: failure,
  }));
  setHandler(eventsQuery, (afterId) => events.page(afterId));

  /** Identical read-only or idempotent calls of one LLM reply, sharing one execution. */
  type SharedCalls = Map<string, { toolCallId: string; result: Promise<ExecutionResult> }>;

  async function gateAndExecute(
    tool: ToolDescriptor,
    args: Record<string, unknown>,
    call: LlmToolCall,
    callIndex: number,
    record: ToolCallRecord,
    progress: ExecutionProgress,
  ): Promise<ExecutionResult> {
    if (requiresApproval(tool, args)) {
      const approvalId = approvalIdFor(roundId, step, callIndex);
      const openedAt = new Date();
      const approval = book.open({
        approvalId,
        roundId,
        step,
        callIndex,
        toolCallId: call.id,
        server: tool.server,
        tool: tool.name,
        arguments: args,
        argsDigest: argsDigest(args),
        argsPreview: clip(canonicalJson(redactSecrets(args)), ARGS_PREVIEW_CHARS),
        requester,
        approvers: tool.policy.approvers,
        allowSelfApproval: tool.policy.allowSelfApproval,
        openedAt: openedAt.toISOString(),
        expiresAt: new Date(openedAt.getTime() + tool.policy.approvalTimeoutMs).toISOString(),
      });
      record.approvalId = approvalId;
      events.emit({ type: 'approval_required', approval: approvalSummary(approval) });
      notices.opened(approval);
      const outcome = await book.waitForDecision(approval, tool.policy.approvalTimeoutMs);
      events.emit({ type: 'approval_decided', approvalId, status: outcome, decision: approval.decision });
      notices.closed(approval);
      if (outcome === 'rejected') {
        const decision = approval.decision!;
        return { outcome: 'rejected', content: rejectedMessage(tool.name, decision.approver.id, decision.reason), truncated: false, attempts: 0 };
      }
      if (outcome === 'expired') {
        return { outcome: 'expired', content: expiredMessage(tool.name, tool.policy.approvalTimeoutMs), truncated: false, attempts: 0 };
      }
    }
    return executeToolCall(tool, args, { roundId, toolCallId: call.id, step }, progress);
  }

  async function runCall(call: LlmToolCall, callIndex: number, directory: ToolDirectory, shared: SharedCalls): Promise<ToolCallRecord> {
    const record: ToolCallRecord = {
      step,
      callIndex,
      toolCallId: call.id,
      name: call.name,
      outcome: 'in_progress',
      content: '',
      truncated: false,
      attempts: 0,
    };
    toolCalls.push(record);
    const resolved = resolveToolCall(directory, call);
    events.emit({
      type: 'tool_call',
      step,
      toolCallId: call.id,
      name: call.name,
      server: resolved.ok ? resolved.tool.server : undefined,
      arguments: clip(call.arguments, EVENT_ARGS_CHARS),
    });
    let result: ExecutionResult;
    if (!resolved.ok) {
      result = { outcome: 'invalid', content: `${resolved.error} Do not retry this exact tool call.`, truncated: false, attempts: 0 };
    } else {
      const { tool, args } = resolved;
      Object.assign(record, { server: tool.server, tool: tool.name, arguments: args });
      const key = `${tool.server}\u0000${tool.name}\u0000${canonicalJson(args)}`;
      const earlier = isRetrySafe(tool) ? shared.get(key) : undefined;
      const progress: ExecutionProgress = { attempts: 0, mayHaveRun: false };
      try {
        if (earlier) {
          record.reusedFrom = earlier.toolCallId;
          result = { ...(await earlier.result), attempts: 0 };
        } else {
          const pending = gateAndExecute(tool, args, call, callIndex, record, progress);
          if (isRetrySafe(tool)) shared.set(key, { toolCallId: call.id, result: pending });
          result = await pending;
        }
      } catch (error) {
        if (isCancellation(error)) {
          // Cancelled while the tool was running: it may have taken effect, and the audit must say so.
          const content = progress.mayHaveRun
            ? outcomeUnknownMessage(tool.name, 'the round was cancelled while the call was running')
            : cancelledMessage(tool.name);
          Object.assign(record, { outcome: progress.mayHaveRun ? 'outcome_unknown' : 'cancelled', content, attempts: progress.attempts });
          emitResult(record);
        }
        throw error;
      }
    }
    Object.assign(record, result);
    emitResult(record);
    return record;
  }

  function emitResult(record: ToolCallRecord): void {
    events.emit({
      type: 'tool_result',
      step: record.step,
      toolCallId: record.toolCallId,
      name: record.name,
      outcome: record.outcome,
      content: record.content,
      truncated: record.truncated,
    });
  }

  try {
    publish();
    const catalog = await listTools({ servers: input.servers });
    notices = new ApprovalNotices(catalog.notifications);
    maxSteps = input.maxSteps ?? catalog.maxSteps ?? DEFAULT_MAX_STEPS;
    const directory = buildToolDirectory(catalog.tools);
    events.emit({
      type: 'round_started',
      query: input.query,
      requester,
      tools: directory.definitions.map((definition) => definition.name),
      unavailableServers: catalog.unavailable.map((entry) => entry.server),
    });

    for (step = 1; step <= maxSteps; step++) {
      const lastStep = step === maxSteps;
      publish();
      const reply = await callLlm.executeWithOptions(
        { ...llmOptions, summary: `step ${step}: LLM${lastStep ? ' (tools disabled)' : ''}` },
        [{ messages, tools: directory.definitions, toolChoice: lastStep ? 'none' : 'auto' }],
      );
      addUsage(usage, reply.usage);
      events.emit({ type: 'llm_step', step, toolCalls: reply.toolCalls.length, finishReason: reply.finishReason, usage: reply.usage });
      if (reply.toolCalls.length === 0 || lastStep) {
        answer = reply.content ?? '';
        messages.push({ role: 'assistant', content: answer });
        break;
      }
      messages.push({ role: 'assistant', content: reply.content, toolCalls: reply.toolCalls });
      const shared: SharedCalls = new Map();
      const records = await Promise.all(reply.toolCalls.map((call, index) => runCall(call, index, directory, shared)));
      for (const record of records) messages.push({ role: 'tool', toolCallId: record.toolCallId, content: record.content });
    }
    const steps = Math.min(step, maxSteps);
    finalStatus = 'completed';
    events.emit({ type: 'round_completed', answer: answer ?? '', steps });
    events.done = true;
    publish();
    await notices.settle(NOTIFICATION_GRACE);
    await condition(allHandlersFinished);
    return {
      roundId,
      answer: answer ?? '',
      steps,
      toolCalls,
      approvals: book.all(),
      usage,
      unavailableServers: catalog.unavailable,
      messages,
    };
  } catch (error) {
    const cancelled = isCancellation(error);
    // Anything else is a bug in workflow code: let the workflow task fail and retry until a fix is deployed.
    if (!cancelled && !(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
    for (const approval of book.cancelPending()) {
      events.emit({ type: 'approval_decided', approvalId: approval.approvalId, status: 'cancelled' });
      notices.closed(approval);
    }
    failure = cancelled ? { type: 'Cancelled', message: 'The round was cancelled' } : describeFailure(error);
    finalStatus = cancelled ? 'cancelled' : 'failed';
    events.emit({ type: 'round_failed', error: failure });
    events.done = true;
    publish();
    await CancellationScope.nonCancellable(() => notices.settle(NOTIFICATION_GRACE));
    if (cancelled) throw error;
    throw ApplicationFailure.nonRetryable(`Round failed: ${failure.message}`, failure.type);
  }
}

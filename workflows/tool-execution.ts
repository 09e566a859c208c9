// Runs one cleared tool call as activities, retrying only what the failure classification allows.
// Retries live here rather than in the activity retry policy because a Temporal-level timeout (a lost
// worker, a hung server) must not re-run a tool whose outcome is then unknown, unless it is retry-safe.
import { ActivityFailure, ApplicationFailure, TimeoutFailure, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import { FailureType, type ToolCallOutcome, type ToolDescriptor, type ToolgateActivities } from './contract.ts';
import { failedMessage, invalidCallMessage, outcomeUnknownMessage, unauthorizedMessage } from './model-messages.ts';
import { isRetrySafe } from './policy.ts';

const HEARTBEAT_TIMEOUT_MS = 15_000;
const ACTIVITY_MARGIN_MS = 15_000;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface ExecutionResult {
  outcome: ToolCallOutcome;
  content: string;
  truncated: boolean;
  attempts: number;
}

type Verdict =
  | { retry: true; delayMs?: number; detail: string }
  | { retry: false; outcome: ToolCallOutcome; content: (attempts: number) => string };

function classify(error: unknown, tool: ToolDescriptor, retrySafe: boolean): Verdict {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const name = tool.name;
  if (cause instanceof TimeoutFailure) {
    const detail = `no answer within the activity deadline (${cause.timeoutType})`;
    if (retrySafe) return { retry: true, detail };
    return { retry: false, outcome: 'outcome_unknown', content: () => outcomeUnknownMessage(name, detail) };
  }
  if (!(cause instanceof ApplicationFailure)) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return { retry: false, outcome: 'failed', content: (attempts) => failedMessage(name, attempts, detail) };
  }
  const detail = cause.message;
  switch (cause.type) {
    case FailureType.McpInvalidCall:
      return { retry: false, outcome: 'invalid', content: () => invalidCallMessage(`${name}: ${detail}.`) };
    case FailureType.McpUnauthorized:
      return { retry: false, outcome: 'failed', content: () => unauthorizedMessage(name, detail) };
    case FailureType.McpTimeout:
      if (retrySafe) return { retry: true, detail };
      return { retry: false, outcome: 'outcome_unknown', content: () => outcomeUnknownMessage(name, detail) };
    default: {
      if (cause.nonRetryable) {
        return { retry: false, outcome: 'failed', content: (attempts) => failedMessage(name, attempts, detail) };
      }
      const retryAfter = (cause.details?.[0] as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      return { retry: true, delayMs: retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_RETRY_AFTER_MS), detail };
    }
  }
}

/** Exponential backoff with equal jitter; Math.random is deterministic inside workflows. */
function backoffMs(tool: ToolDescriptor, attempt: number): number {
  const { initialDelayMs, maxDelayMs } = tool.policy.retry;
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

export async function executeToolCall(
  tool: ToolDescriptor,
  args: Record<string, unknown>,
  ids: { roundId: string; toolCallId: string; step: number },
): Promise<ExecutionResult> {
  const retrySafe = isRetrySafe(tool);
  const activityOptions = {
    startToCloseTimeout: tool.policy.callTimeoutMs + ACTIVITY_MARGIN_MS,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { maximumAttempts: 1 },
  };
  const { callTool } = proxyActivities<ToolgateActivities>(activityOptions);
  const request = {
    server: tool.server,
    tool: tool.name,
    arguments: args,
    roundId: ids.roundId,
    toolCallId: ids.toolCallId,
    timeoutMs: tool.policy.callTimeoutMs,
    retrySafe,
  };
  const maxAttempts = Math.max(1, tool.policy.retry.maxAttempts);
  for (let attempt = 1; ; attempt++) {
    try {
      const summary = `step ${ids.step}: ${tool.server}/${tool.name}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
      const result = await callTool.executeWithOptions(
        { ...activityOptions, summary },
        [request],
      );
      return { outcome: result.isError ? 'tool_error' : 'succeeded', content: result.text, truncated: result.truncated, attempts: attempt };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const verdict = classify(error, tool, retrySafe);
      if (verdict.retry && attempt < maxAttempts) {
        await sleep(verdict.delayMs ?? backoffMs(tool, attempt), { summary: `retry ${tool.server}/${tool.name}` });
        continue;
      }
      if (verdict.retry) {
        return { outcome: 'failed', content: failedMessage(tool.name, attempt, verdict.detail), truncated: false, attempts: attempt };
      }
      return { outcome: verdict.outcome, content: verdict.content(attempt), truncated: false, attempts: attempt };
    }
  }
}

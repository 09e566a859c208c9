// Runs one cleared tool call as activities and makes every retry decision in one place. The activity reports
// where a call failed; a call that may have reached the server is sent again only when the tool is read-only
// or idempotent, because running anything else twice is the harm this gate exists to prevent.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type {
  SealedCredential,
  ToolCallOutcome,
  ToolCallRequest,
  ToolDescriptor,
  ToolgateActivities,
} from './contract.ts';
import { FailureType } from './contract/failures.ts';
import { failedMessage, invalidCallMessage, outcomeUnknownMessage, unauthorizedMessage } from './model-messages.ts';
import { isRetrySafe } from './policy.ts';
import { displayTool } from './shared/display-name.ts';

const HEARTBEAT_TIMEOUT_MS = 15_000;
const ACTIVITY_MARGIN_MS = 15_000;
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface ExecutionResult {
  outcome: ToolCallOutcome;
  content: string;
  truncated: boolean;
  attempts: number;
}

/** What the round knows about a call in flight, so a cancellation can say whether the tool may have run. */
export interface ExecutionProgress {
  attempts: number;
  /** An attempt is running, or an earlier one may have reached the server. */
  mayHaveRun: boolean;
}

type Verdict =
  | { retry: true; delayMs?: number; detail: string }
  | { retry: false; outcome: ToolCallOutcome; content: (attempts: number) => string };

function maybeReceived(name: string, detail: string, retrySafe: boolean): Verdict {
  if (retrySafe) return { retry: true, detail };
  return { retry: false, outcome: 'outcome_unknown', content: () => outcomeUnknownMessage(name, detail) };
}

function classify(error: unknown, tool: ToolDescriptor, retrySafe: boolean): Verdict {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const name = tool.name;
  // A Temporal timeout is a lost worker or a hung call: the request may well have been sent.
  if (cause instanceof TimeoutFailure)
    return maybeReceived(name, `no answer within the activity deadline (${cause.timeoutType})`, retrySafe);
  if (!(cause instanceof ApplicationFailure)) {
    return maybeReceived(name, cause instanceof Error ? cause.message : String(cause), retrySafe);
  }
  const detail = cause.message;
  switch (cause.type) {
    case FailureType.McpInvalidCall:
      return { retry: false, outcome: 'invalid', content: () => invalidCallMessage(`${name}: ${detail}.`) };
    case FailureType.McpUnauthorized:
      return { retry: false, outcome: 'failed', content: () => unauthorizedMessage(name, detail) };
    case FailureType.McpUnknownServer:
      return { retry: false, outcome: 'failed', content: (attempts) => failedMessage(name, attempts, detail) };
    case FailureType.McpNotSent: {
      const retryAfter = (cause.details?.[0] as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      return {
        retry: true,
        delayMs: retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_RETRY_AFTER_MS),
        detail,
      };
    }
    default:
      // McpOutcomeUnknown, and any failure this code does not know: when in doubt, it may have run.
      return maybeReceived(name, detail, retrySafe);
  }
}

/** Exponential backoff with equal jitter; Math.random is deterministic inside workflows. */
function backoffMs(tool: ToolDescriptor, attempt: number): number {
  const { initialDelayMs, maxDelayMs } = tool.policy.retry;
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * One attempt: an activity, or with `locally` a local activity of the same deadline. Either has one attempt of its
 * own: retries are the workflow's, below. A local attempt needs no heartbeat: it lives inside its workflow task,
 * which the worker keeps alive, and a lost worker times the task out and the next worker runs the attempt again.
 */
function runAttempt(tool: ToolDescriptor, locally: boolean, summary: string, request: ToolCallRequest) {
  const startToCloseTimeout = tool.policy.callTimeoutMs + ACTIVITY_MARGIN_MS;
  const retry = { maximumAttempts: 1 };
  if (locally) {
    const options: LocalActivityOptions = { startToCloseTimeout, retry };
    return proxyLocalActivities<ToolgateActivities>(options).callTool.executeWithOptions({ ...options, summary }, [
      request,
    ]);
  }
  const options: ActivityOptions = { startToCloseTimeout, heartbeatTimeout: HEARTBEAT_TIMEOUT_MS, retry };
  return proxyActivities<ToolgateActivities>(options).callTool.executeWithOptions({ ...options, summary }, [request]);
}

export async function executeToolCall(
  tool: ToolDescriptor,
  args: Record<string, unknown>,
  ids: { roundId: string; toolCallId: string; step: number },
  progress: ExecutionProgress,
  credential?: SealedCredential,
  { locally = false }: { locally?: boolean } = {},
): Promise<ExecutionResult> {
  const retrySafe = isRetrySafe(tool);
  const request = {
    server: tool.server,
    tool: tool.name,
    arguments: args,
    roundId: ids.roundId,
    toolCallId: ids.toolCallId,
    timeoutMs: tool.policy.callTimeoutMs,
    ...(credential ? { credential } : {}),
  };
  const maxAttempts = Math.max(1, tool.policy.retry.maxAttempts);
  for (let attempt = 1; ; attempt++) {
    progress.attempts = attempt;
    const earlierMayHaveRun = progress.mayHaveRun;
    progress.mayHaveRun = true;
    try {
      const summary = `step ${ids.step}: ${displayTool(tool.server, tool.name)}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
      const result = await runAttempt(tool, locally, summary, request);
      return {
        outcome: result.isError ? 'tool_error' : 'succeeded',
        content: result.text,
        truncated: result.truncated,
        attempts: attempt,
      };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const verdict = classify(error, tool, retrySafe);
      progress.mayHaveRun = earlierMayHaveRun || !refusedBeforeRunning(error);
      if (verdict.retry && attempt < maxAttempts) {
        await sleep(verdict.delayMs ?? backoffMs(tool, attempt), {
          summary: `retry ${displayTool(tool.server, tool.name)}`,
        });
        continue;
      }
      if (verdict.retry) {
        return {
          outcome: 'failed',
          content: failedMessage(tool.name, attempt, verdict.detail),
          truncated: false,
          attempts: attempt,
        };
      }
      return { outcome: verdict.outcome, content: verdict.content(attempt), truncated: false, attempts: attempt };
    }
  }
}

const NOT_RUN: ReadonlySet<string> = new Set([
  FailureType.McpNotSent,
  FailureType.McpInvalidCall,
  FailureType.McpUnauthorized,
  FailureType.McpUnknownServer,
]);

/** Failures that prove this attempt did not run the tool. */
function refusedBeforeRunning(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && NOT_RUN.has(cause.type ?? '');
}

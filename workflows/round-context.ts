// Everything one round knows and publishes: its conversation, tool calls, approvals and events, its status as
// visibility and the Web UI show it, and the state and result it answers with.
import { ActivityFailure, ApplicationFailure, isCancellation, log } from '@temporalio/workflow';
import { ApprovalBook } from './approval-book.ts';
import { ApprovalNotices } from './approval-notices.ts';
import { DEFAULT_MAX_STEPS, DEFAULT_TOOL_CALLS_PER_REPLY } from './contract/names.ts';
import type {
  AvailableQuotas,
  ChatMessage,
  QueryRoundInput,
  QueryRoundResult,
  RoundError,
  RoundState,
  RoundStatus,
  ToolCatalog,
  ToolCallRecord,
  Usage,
} from './contract.ts';
import { EventLog } from './event-log.ts';
import { HistoryWatch } from './history-watch.ts';
import { RoundVisibility } from './round-visibility.ts';
import { displayTool } from './shared/display-name.ts';
import { availableQuotas } from './token-quota.ts';
import { fitTranscript } from './transcript-budget.ts';
import { roundFinished } from './round-metrics.ts';
import { describeSpan } from './round-spans.ts';
import { PolicyFollow } from './policy-recheck.ts';

/** Events a round keeps for its clients (pending approvals' `approval_required` events stay besides). */
const EVENT_CAPACITY = 1000;

export class RoundContext {
  readonly roundId: string;
  readonly input: QueryRoundInput;
  readonly events = new EventLog(
    EVENT_CAPACITY,
    (event) => event.type === 'approval_required' && this.book.get(event.approval.approvalId)?.status === 'pending',
  );
  readonly toolCalls: ToolCallRecord[] = [];
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  readonly messages: ChatMessage[];
  readonly book: ApprovalBook;
  notices: ApprovalNotices;
  readonly policyFollow = new PolicyFollow(this);
  /** The configuration the round's tools were listed under (absent from workers before fingerprints). */
  configFingerprint: string | undefined;
  step = 0;
  maxSteps: number;
  /** Tool calls of one model reply that run: the operator's bound, lowered by the input's. */
  maxToolCallsPerReply = DEFAULT_TOOL_CALLS_PER_REPLY;
  private transcriptChars = Number.POSITIVE_INFINITY;
  private readonly history = new HistoryWatch();
  private readonly visibility = new RoundVisibility();
  private finalStatus: RoundStatus | undefined;
  private answer: string | undefined;
  private failure: RoundError | undefined;

  constructor(roundId: string, input: QueryRoundInput) {
    this.roundId = roundId;
    this.input = input;
    this.messages = [...(input.messages ?? []), { role: 'user', content: input.query }];
    this.maxSteps = input.maxSteps ?? DEFAULT_MAX_STEPS;
    this.book = new ApprovalBook(
      () => this.publish(),
      (approval, decision) =>
        this.events.emit({
          type: 'approval_counted',
          approvalId: approval.approvalId,
          decision,
          quorum: approval.quorum!,
        }),
    );
    this.notices = this.noticesFor(false);
  }

  get requester(): string {
    return this.input.requester;
  }

  /** The worker's tool listing decides whether cards are posted and the default bounds of steps and calls. */
  begin(catalog: ToolCatalog, tools: string[]): void {
    this.notices = this.noticesFor(catalog.notifications);
    this.maxSteps = this.input.maxSteps ?? catalog.maxSteps;
    this.maxToolCallsPerReply = Math.min(
      this.input.maxToolCallsPerReply ?? Number.POSITIVE_INFINITY,
      catalog.maxToolCallsPerReply ?? DEFAULT_TOOL_CALLS_PER_REPLY,
    );
    this.transcriptChars = catalog.transcriptChars;
    this.configFingerprint = catalog.configFingerprint;
    this.events.emit({
      type: 'round_started',
      query: this.input.query,
      requester: this.requester,
      tools,
      unavailableServers: catalog.unavailable.map((entry) => entry.server),
    });
  }

  /** The conversation as the model will see it next: within the budget, oldest tool outputs elided first. */
  fitTranscript(): void {
    fitTranscript(this.messages, this.transcriptChars);
  }

  addUsage(more: Usage): void {
    this.usage.promptTokens += more.promptTokens;
    this.usage.completionTokens += more.completionTokens;
    this.usage.totalTokens += more.totalTokens;
  }

  status(): RoundStatus {
    return this.finalStatus ?? (this.book.pending().length > 0 ? 'waiting_approval' : 'running');
  }

  /** Search attributes and memo (only when they change) and the Web UI's current details. */
  publish(): void {
    const pending = this.book.pending();
    const details = this.finalStatus
      ? `Round ${this.finalStatus}`
      : pending.length > 0
        ? `Waiting for approval: ${pending.map((a) => `${displayTool(a.server, a.tool)} (${a.approvalId}, expires ${a.expiresAt})`).join('; ')}`
        : `Step ${this.step} of ${this.maxSteps}`;
    const warning = this.history.check();
    this.visibility.publish(
      this.status(),
      this.requester,
      this.book.all(),
      this.toolCalls.flatMap((call) => (call.server && call.tool ? [`${call.server}/${call.tool}`] : [])),
      this.usage.totalTokens,
      warning ? `${details}; ${warning}` : details,
    );
  }

  state(): RoundState {
    return {
      roundId: this.roundId,
      status: this.status(),
      query: this.input.query,
      requester: this.requester,
      step: this.step,
      maxSteps: this.maxSteps,
      toolCalls: this.toolCalls,
      approvals: this.book.all(),
      usage: this.usage,
      answer: this.answer,
      error: this.failure,
    };
  }

  complete(answer: string, catalog: ToolCatalog): QueryRoundResult {
    const steps = Math.min(this.step, this.maxSteps);
    this.answer = answer;
    this.messages.push({ role: 'assistant', content: answer });
    this.fitTranscript();
    this.finish('completed', { type: 'round_completed', answer, steps, ...this.quotaReport() });
    return {
      roundId: this.roundId,
      answer,
      steps,
      toolCalls: this.toolCalls,
      approvals: this.book.all(),
      usage: this.usage,
      unavailableServers: catalog.unavailable,
      messages: this.messages,
    };
  }

  /** Closes open approvals and records why the round ended; returns what the workflow fails with. */
  fail(error: unknown): unknown {
    const cancelled = isCancellation(error);
    for (const approval of this.book.cancelPending()) {
      this.events.emit({ type: 'approval_decided', approvalId: approval.approvalId, status: 'cancelled' });
      this.notices.closed(approval.approvalId);
    }
    this.failure = cancelled ? { type: 'Cancelled', message: 'The round was cancelled' } : describeFailure(error);
    this.finish(cancelled ? 'cancelled' : 'failed', {
      type: 'round_failed',
      error: this.failure,
      ...this.quotaReport(),
    });
    return cancelled
      ? error
      : ApplicationFailure.nonRetryable(`Round failed: ${this.failure.message}`, this.failure.type);
  }

  /** The requester's tokens left after this round, for its final event, when a quota applies. */
  private quotaReport(): { availableQuotas?: AvailableQuotas } {
    return this.input.quota ? { availableQuotas: availableQuotas(this.input.quota, this.usage) } : {};
  }

  private finish(status: RoundStatus, event: Parameters<EventLog['emit']>[0]): void {
    this.finalStatus = status;
    roundFinished(status);
    describeSpan({ 'toolgate.round.status': status, 'toolgate.round.steps': this.step });
    log.info('round finished', { status, steps: Math.min(this.step, this.maxSteps) });
    this.events.emit(event);
    this.events.done = true;
    this.publish();
  }

  private noticesFor(enabled: boolean): ApprovalNotices {
    return new ApprovalNotices({
      enabled,
      current: (approvalId) => this.book.get(approvalId),
      onPosted: (approvalId, notification) => this.book.attachNotification(approvalId, notification),
    });
  }
}

function describeFailure(error: unknown): RoundError {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  return { type: 'Error', message: cause instanceof Error ? cause.message : String(cause) };
}

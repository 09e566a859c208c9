// The public contract of a query round: what api/, activities/, worker/ and tests import from workflows/.
// Nothing here has side effects, so it is safe both inside the workflow bundle and in Node processes.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE = 'toolgate';
export const WORKFLOW_TYPE = 'queryRound';

/** Custom search attributes: registered on the namespace (the dev-server bootstrap does it). */
export const StatusAttribute = defineSearchAttributeKey('ToolgateStatus', SearchAttributeType.KEYWORD);
export const RequesterAttribute = defineSearchAttributeKey('ToolgateRequester', SearchAttributeType.KEYWORD);
export const PendingApprovalsAttribute = defineSearchAttributeKey(
  'ToolgatePendingApprovals',
  SearchAttributeType.KEYWORD_LIST,
);
/** Everyone who may decide one of the round's approvals (`*` included): who may read it, and whose list it is on. */
export const ApproversAttribute = defineSearchAttributeKey('ToolgateApprovers', SearchAttributeType.KEYWORD_LIST);
/** Every custom search attribute a namespace needs before rounds run on it. */
export const SEARCH_ATTRIBUTES = [StatusAttribute, RequesterAttribute, PendingApprovalsAttribute, ApproversAttribute] as const;

// ---- conversation ----
export interface LlmToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model produced it; it may be unparsable. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: LlmToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

// ---- tools and policy ----
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export type ApprovalMode = 'never' | 'always' | 'annotations';

/**
 * Approval is required when the argument at the dot path `argument` matches the glob (`*` and `?`). Keys are
 * compared case-insensitively and arrays are searched element by element; a value the rule cannot evaluate
 * (an object where a scalar belongs, a path through a scalar) requires approval too.
 */
export interface ArgumentRule {
  argument: string;
  matches: string;
  /** Compare values case-insensitively (`prod-*` also matches `PROD-eu`). */
  ignoreCase?: boolean;
}

export interface RetrySettings {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The worker's configuration for one tool, resolved from server and tool entries. */
export interface ToolPolicy {
  approval: ApprovalMode;
  /** Annotations of untrusted servers are ignored: they cannot waive an approval or allow retries. */
  trusted: boolean;
  argumentRules: ArgumentRule[];
  approvalTimeoutMs: number;
  /** Principal ids allowed to decide; `*` means any authenticated principal. */
  approvers: string[];
  allowSelfApproval: boolean;
  callTimeoutMs: number;
  /** Operator override: the tool is safe to call again after an unknown outcome. */
  idempotent?: boolean;
  retry: RetrySettings;
}

export interface ToolDescriptor {
  server: string;
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations: ToolAnnotations;
  policy: ToolPolicy;
}

export interface ToolCatalog {
  tools: ToolDescriptor[];
  /** Whether the worker posts approval notifications (Slack); the round skips the activities otherwise. */
  notifications: boolean;
  /** Servers that could not be listed: reported, not fatal. */
  unavailable: Array<{ server: string; error: string }>;
  maxSteps: number;
}

// ---- activities (implemented in activities/, proxied by the workflow) ----
export interface LlmToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export interface LlmRequest {
  messages: ChatMessage[];
  tools: LlmToolDefinition[];
  /** `none` on the last step, so the model must answer. */
  toolChoice: 'auto' | 'none';
}

export interface LlmReply {
  content: string | null;
  toolCalls: LlmToolCall[];
  finishReason: string;
  usage: Usage;
}

export interface ToolCallRequest {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  roundId: string;
  toolCallId: string;
  timeoutMs: number;
}

export interface ToolCallResult {
  isError: boolean;
  text: string;
  truncated: boolean;
  originalLength: number;
}

/** Where an approval's notification was posted, so it can be updated when the approval closes. */
export interface NotificationRef {
  channel: string;
  ts: string;
}

/** Tells people about approvals (Slack). Throwing makes Temporal retry; null means "nobody to tell". */
export interface ApprovalNotifier {
  opened(approval: ApprovalRecord): Promise<NotificationRef | null>;
  closed(approval: ApprovalRecord, notification: NotificationRef): Promise<void>;
}

export interface ToolgateActivities {
  listTools(input: { servers?: string[] }): Promise<ToolCatalog>;
  callLlm(input: LlmRequest): Promise<LlmReply>;
  callTool(input: ToolCallRequest): Promise<ToolCallResult>;
  /** Posts the approval request (Slack card); null when nobody is to be notified for this tool. */
  notifyApprovalOpened(input: { approval: ApprovalRecord }): Promise<NotificationRef | null>;
  /** Updates the posted request to show the outcome, who decided and when. */
  notifyApprovalClosed(input: { approval: ApprovalRecord; notification: NotificationRef }): Promise<void>;
}

/**
 * `ApplicationFailure.type` values thrown by activities and update validators. MCP failures say where the call
 * failed, not what failed: whether the request can have reached the server decides whether it may be sent again.
 */
export const FailureType = {
  LlmRejected: 'LlmRequestRejected',
  LlmUnavailable: 'LlmUnavailable',
  /** The server refused the call without running it (invalid params, unknown method or tool). */
  McpInvalidCall: 'McpInvalidCall',
  McpUnauthorized: 'McpUnauthorized',
  /** Provably never reached the server (refused, DNS, TLS, 429/503, no session): safe to send again. */
  McpNotSent: 'McpNotSent',
  /** May have reached the server (reset, timeout, 5xx, closed mid-call, -32603): the tool may have run. */
  McpOutcomeUnknown: 'McpOutcomeUnknown',
  McpUnknownServer: 'McpUnknownServer',
  InvalidDecision: 'InvalidDecision',
  ApprovalNotFound: 'ApprovalNotFound',
  ApprovalClosed: 'ApprovalClosed',
  DigestMismatch: 'DigestMismatch',
  NotAnApprover: 'NotAnApprover',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

// ---- approvals ----
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
export type DecisionChannel = 'http' | 'slack' | 'cli';

export interface Approver {
  id: string;
  channel: DecisionChannel;
}

export interface DecisionRequest {
  approvalId: string;
  decision: 'approve' | 'reject';
  reason?: string;
  approver: Approver;
  /** When given, must equal the approval's digest (stale-decision protection). */
  argsDigest?: string;
  /**
   * When the decision was made (ISO time), stamped by the API when it receives it. A decision made before the
   * approval expired wins even when it reaches the round after the timer fired (queued while no worker ran);
   * one made later is refused. Without it the round's own clock decides.
   */
  receivedAt?: string;
}

export interface DecisionRecord {
  decision: 'approve' | 'reject';
  approver: Approver;
  reason?: string;
  argsDigest: string;
  decidedAt: string;
}

export interface IgnoredDecision {
  request: DecisionRequest;
  receivedAt: string;
  why: string;
}

export interface ApprovalSummary {
  approvalId: string;
  roundId: string;
  step: number;
  server: string;
  tool: string;
  argsPreview: string;
  argsDigest: string;
  requester: string;
  /** Principal ids allowed to decide; `*` means any authenticated principal. */
  approvers: string[];
  allowSelfApproval: boolean;
  openedAt: string;
  expiresAt: string;
}

export interface ApprovalRecord extends ApprovalSummary {
  callIndex: number;
  toolCallId: string;
  arguments: Record<string, unknown>;
  status: ApprovalStatus;
  decision?: DecisionRecord;
  closedAt?: string;
  ignored: IgnoredDecision[];
  notification?: NotificationRef;
}

/** Result of the `decide` update: the approval's effective state after the request. */
export interface DecisionResult {
  approvalId: string;
  status: ApprovalStatus;
  decision?: DecisionRecord;
  /** False when an earlier decision had already closed the approval. */
  applied: boolean;
}

// ---- round state, events, result ----
export type RoundStatus = 'running' | 'waiting_approval' | 'completed' | 'failed' | 'cancelled';

export type ToolCallOutcome =
  | 'in_progress'
  | 'succeeded'
  | 'tool_error'
  | 'invalid'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'failed'
  | 'outcome_unknown';

export interface ToolCallRecord {
  step: number;
  callIndex: number;
  toolCallId: string;
  name: string;
  server?: string;
  tool?: string;
  arguments?: Record<string, unknown>;
  approvalId?: string;
  outcome: ToolCallOutcome;
  /** What the model was told. */
  content: string;
  truncated: boolean;
  attempts: number;
  /** Set when an identical call earlier in the round supplied the result. */
  reusedFrom?: string;
}

export interface QueryRoundInput {
  query: string;
  /** Principal id of the person asking; approvers may be barred from deciding their own calls. */
  requester: string;
  /** Earlier conversation, e.g. the transcript of a previous round. */
  messages?: ChatMessage[];
  /** Restrict the round to these configured MCP servers. */
  servers?: string[];
  maxSteps?: number;
}

export interface QueryRoundResult {
  roundId: string;
  answer: string;
  steps: number;
  toolCalls: ToolCallRecord[];
  approvals: ApprovalRecord[];
  usage: Usage;
  unavailableServers: ToolCatalog['unavailable'];
  /** The whole conversation, to continue it in a later round. */
  messages: ChatMessage[];
}

export interface RoundState {
  roundId: string;
  status: RoundStatus;
  query: string;
  requester: string;
  step: number;
  maxSteps: number;
  toolCalls: ToolCallRecord[];
  approvals: ApprovalRecord[];
  usage: Usage;
  answer?: string;
  error?: { type: string; message: string };
}

type EventBody =
  | { type: 'round_started'; query: string; requester: string; tools: string[]; unavailableServers: string[] }
  | { type: 'llm_step'; step: number; toolCalls: number; finishReason: string; usage: Usage }
  | { type: 'tool_call'; step: number; toolCallId: string; name: string; server?: string; arguments: string }
  | { type: 'approval_required'; approval: ApprovalSummary }
  | { type: 'approval_decided'; approvalId: string; status: ApprovalStatus; decision?: DecisionRecord }
  | {
      type: 'tool_result';
      step: number;
      toolCallId: string;
      name: string;
      outcome: ToolCallOutcome;
      content: string;
      truncated: boolean;
    }
  | { type: 'round_completed'; answer: string; steps: number }
  | { type: 'round_failed'; error: { type: string; message: string } };

export type RoundEvent = EventBody & { id: number; at: string };
export type RoundEventType = RoundEvent['type'];
export type NewRoundEvent = EventBody;

export interface EventPage {
  events: RoundEvent[];
  /** Oldest id still kept: events before it were dropped to bound the workflow's state. */
  firstAvailableId: number;
  done: boolean;
}

// ---- handlers ----
export const decideSignal = defineSignal<[DecisionRequest]>('decide');
export const decideUpdate = defineUpdate<DecisionResult, [DecisionRequest]>('decide');
export const stateQuery = defineQuery<RoundState>('state');
export const eventsQuery = defineQuery<EventPage, [afterId?: number]>('events');

// ---- ids ----
export const ROUND_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const APPROVAL_ID_PATTERN = /^([A-Za-z0-9_-]{1,128})\.(\d{1,4})\.(\d{1,4})$/;

/** Deterministic, so the API finds the round from an approval id alone. */
export function approvalIdFor(roundId: string, step: number, callIndex: number): string {
  return `${roundId}.${step}.${callIndex}`;
}

export function parseApprovalId(approvalId: string): { roundId: string; step: number; callIndex: number } | undefined {
  const match = APPROVAL_ID_PATTERN.exec(approvalId);
  if (!match) return undefined;
  return { roundId: match[1]!, step: Number(match[2]), callIndex: Number(match[3]) };
}

// The activities the round asks for (implemented in activities/, proxied by the workflow).
import type { ApprovalRecord, NotificationRef } from './approvals.ts';
import type { ReminderStep } from './reminders.ts';
import type { ChatMessage, LlmToolCall, Usage } from './conversation.ts';
import type { SealedCredential } from './credentials.ts';
import type { SigningPublicKey } from './signatures.ts';
import type { ToolCatalog } from './tools.ts';
import type { CurrentPolicies } from './policy-follow.ts';
import type { Grant, GrantLookup, GrantOrder } from './grants.ts';

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
  /** The round's step, for the live events of the call (absent in rounds started before it was sent). */
  step?: number;
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
  /** The requester's sealed credential for this server, when it takes one. */
  credential?: SealedCredential;
}

export interface ToolCallResult {
  isError: boolean;
  text: string;
  truncated: boolean;
  originalLength: number;
}

/** Tells people about approvals (Slack). Throwing makes Temporal retry; null means "nobody to tell". */
export interface ApprovalNotifier {
  opened(approval: ApprovalRecord): Promise<NotificationRef | null>;
  closed(approval: ApprovalRecord, notification: NotificationRef): Promise<void>;
  /** A reminder step of a waiting approval (reminder, escalation, extension); `notification`: its card, if posted. */
  stepped(input: ApprovalStepNotice): Promise<void>;
}

export interface ApprovalStepNotice {
  approval: ApprovalRecord;
  step: ReminderStep;
  notification?: NotificationRef;
  /** Where an escalation is posted; the approval's own channel when absent. */
  slackChannel?: string;
}

export interface ToolgateActivities {
  /** The worker's `signing.publicKeys`: run once at a round's start, recorded in its history (replay reads it there). */
  signingKeys: () => Promise<{ keys: SigningPublicKey[] }>;
  listTools: (input: { servers?: string[] }) => Promise<ToolCatalog>;
  callLlm: (input: LlmRequest) => Promise<LlmReply>;
  callTool: (input: ToolCallRequest) => Promise<ToolCallResult>;
  /** The current policy of each tool named, under the worker's configuration now (a round re-checking its approvals). */
  currentPolicies: (input: { tools: Array<{ server: string; tool: string }> }) => Promise<CurrentPolicies>;
  /** Posts the approval request (Slack card); null when nobody is to be notified for this tool. */
  notifyApprovalOpened: (input: { approval: ApprovalRecord }) => Promise<NotificationRef | null>;
  /** Updates the posted request to show the outcome, who decided and when. */
  notifyApprovalClosed: (input: { approval: ApprovalRecord; notification: NotificationRef }) => Promise<void>;
  /** Tells the approvers of a reminder step: a threaded reminder, an escalation post, the card redrawn. */
  notifyApprovalStep: (input: ApprovalStepNotice) => Promise<void>;
  /** The requester's live grant covering this call, from their grants workflow; null when none does. */
  findGrant: (input: GrantLookup) => Promise<Grant | null>;
  /** Stores the grant a decision asked for (update-with-start of the requester's grants workflow). */
  createGrant: (input: GrantOrder) => Promise<Grant>;
}

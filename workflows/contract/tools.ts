// The tools a round may call and the policy the worker resolved for each (worker config, not model input).
import type { QuorumRequirement, RejectWith } from './quorum.ts';
import type { ReminderPlan } from './reminders.ts';

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
  /** `approve`: a call without the argument needs approval too (the server may default it to production). */
  whenAbsent?: 'approve';
}

/**
 * `approve`: `readOnlyHint` waives approval only for a tool that also says `openWorldHint: false` (MCP's default is
 * true: a read-only fetch or search can carry private data out). `trust`: read-only is enough.
 */
export type OpenWorldMode = 'approve' | 'trust';

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
  /** How a read-only tool that may reach the open world is gated (absent before it existed: as `approve`). */
  openWorld?: OpenWorldMode;
  argumentRules: ArgumentRule[];
  /** Configured dot paths shown redacted besides what the input schema marks secret (absent before it existed). */
  redact?: string[];
  approvalTimeoutMs: number;
  /** Principal ids allowed to decide; `*` means any authenticated principal. */
  approvers: string[];
  allowSelfApproval: boolean;
  /**
   * Several people must approve (config `quorum` over `approvals.groups`); `approvers` is then every member of the
   * groups named. Absent: one approver decides, as before.
   */
  quorum?: { requirements: QuorumRequirement[]; rejectWith: RejectWith };
  /** Reminders, escalation and the on-timeout action (config `remind`, `escalate`, `onTimeout`). Absent: none. */
  reminders?: ReminderPlan;
  /**
   * A read-only tool of the same server run before the approval opens; its output is shown to the approver.
   * `arguments`: preview argument name → dot path into the call's arguments (absent: the call's own arguments).
   * `unavailable`: why the worker will not run it (no such tool, not read-only); the approval shows it as failed.
   */
  preview?: { tool: string; arguments?: Record<string, string>; timeoutMs: number; unavailable?: string };
  callTimeoutMs: number;
  /** `false`: an approver may not approve with edited arguments (config `editable`); absent: they may. */
  editable?: boolean;
  /** Operator override: the tool is safe to call again after an unknown outcome. */
  idempotent?: boolean;
  /** The server takes the requester's own credential; `required`: no call without it. */
  userCredential?: { required: boolean };
  retry: RetrySettings;
  /** false: no decision on this tool may be remembered as a grant (config `grants`; absent before it existed). */
  grants?: boolean;
}

export interface ToolDescriptor {
  server: string;
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations: ToolAnnotations;
  policy: ToolPolicy;
  /**
   * SHA-256 of input schema, annotations, resolved policy and server config: a grant made for one fingerprint
   * lapses when it changes (absent in listings before remembered grants).
   */
  fingerprint?: string;
}

export interface ToolCatalog {
  tools: ToolDescriptor[];
  /** Whether the worker posts approval notifications (Slack); the round skips the activities otherwise. */
  notifications: boolean;
  /** Servers that could not be listed: reported, not fatal. */
  unavailable: Array<{ server: string; error: string }>;
  maxSteps: number;
  /** Tool calls of one model reply that run (round.maxToolCallsPerReply; absent before it existed). */
  maxToolCallsPerReply?: number;
  /** Budget of the conversation the round carries, in characters (round.transcriptChars). */
  transcriptChars: number;
  /** Characters a tool result keeps (round.toolOutputChars; absent before local reads: the default, 16,000). */
  toolOutputChars?: number;
  /** Fingerprint of the worker's policy-relevant configuration (absent before pending approvals followed policy). */
  configFingerprint?: string;
}

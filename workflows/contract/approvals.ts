// Approvals and decisions: the audit record of who was asked, who decided what, when and through which channel.
import { z } from 'zod';
import { DecisionRecord } from './decisions.ts';
import { Quorum } from './quorum.ts';
import { Reminders } from './reminders.ts';
import { ApprovalPolicyTrail } from './policy-follow.ts';
import { ApprovalPreview, PreviewSummary } from './previews.ts';

/** A decision the round received and did not apply (late, duplicate, stale, unauthorized), kept for the audit. */
export const IgnoredDecision = z.object({
  request: z.unknown(),
  receivedAt: z.string(),
  why: z.string(),
});
export type IgnoredDecision = z.infer<typeof IgnoredDecision>;

/** What lists, memo and events show of an approval: no full arguments, only the redacted preview. */
export const ApprovalSummary = z.object({
  approvalId: z.string(),
  roundId: z.string(),
  step: z.number(),
  server: z.string(),
  tool: z.string(),
  /** The first 300 characters of the redacted arguments' canonical JSON, invisible characters escaped. */
  argsPreview: z.string(),
  /** SHA-256 (hex) of the canonical JSON of the full arguments, unredacted: exactly what runs. */
  argsDigest: z.string(),
  /** Paths whose values are redacted in every view (schema-marked secrets, configured `redact` paths). */
  redacted: z.array(z.string()).optional(),
  /** Argument keys the tool's input schema does not name: the model added them. */
  unknownKeys: z.array(z.string()).optional(),
  /** The arguments hold control, bidi or zero-width characters, shown escaped. */
  escaped: z.boolean().optional(),
  /** Length of the full view (pretty JSON, escaped): a channel that shows less may not approve in one click. */
  argsChars: z.number().optional(),
  requester: z.string(),
  /** Principal ids allowed to decide; `*` means any authenticated principal. */
  approvers: z.array(z.string()),
  allowSelfApproval: z.boolean(),
  /** Present when the tool's policy asks several people (approvals.groups): who decided, what is still needed. */
  quorum: Quorum.optional(),
  /**
   * Present when the tool's policy plans reminders, escalation or an extension: the steps taken (an escalation
   * grows `approvers`, an extension moves `expiresAt`) and the one planned next.
   */
  reminders: Reminders.optional(),
  /** The configuration the round started on and the last it was re-checked under (policy changes, patch policy-follow). */
  policy: ApprovalPolicyTrail.optional(),
  /** The tool's preview (policy `preview`), run before the approval opened; the full content is on GET approval. */
  preview: PreviewSummary.optional(),
  /** The preview's digest (= preview.digest): a decision that sends `previewDigest` must match it. */
  previewDigest: z.string().optional(),
  /** A decision may approve and remember (a grant): the tool allows grants (patch `remembered-grants`). */
  rememberable: z.boolean().optional(),
  openedAt: z.string(),
  expiresAt: z.string(),
});
export type ApprovalSummary = z.infer<typeof ApprovalSummary>;

/** Where an approval's notification was posted, so it can be updated when the approval closes. */
export const NotificationRef = z.object({ channel: z.string(), ts: z.string() });
export type NotificationRef = z.infer<typeof NotificationRef>;

const OpenedApproval = ApprovalSummary.extend({
  callIndex: z.number(),
  toolCallId: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  ignored: z.array(IgnoredDecision),
  notification: NotificationRef.optional(),
  /** A quorum approval's counted decisions in the order they counted; `decision` is the one that closed it. */
  decisions: z.array(DecisionRecord).optional(),
  /** The preview with its full content (summaries carry only its facts). */
  preview: ApprovalPreview.optional(),
});

/** An approval as the round keeps it: pending, decided (with its decision), or closed without one. */
export const ApprovalRecord = z.discriminatedUnion('status', [
  OpenedApproval.extend({
    status: z.literal('pending'),
    decision: z.never().optional(),
    closedAt: z.never().optional(),
  }),
  OpenedApproval.extend({ status: z.literal('approved'), decision: DecisionRecord, closedAt: z.string() }),
  OpenedApproval.extend({ status: z.literal('rejected'), decision: DecisionRecord, closedAt: z.string() }),
  /** Closed at its expiry time, never with a decision. */
  OpenedApproval.extend({ status: z.literal('expired'), decision: z.never().optional(), closedAt: z.string() }),
  OpenedApproval.extend({ status: z.literal('cancelled'), decision: z.never().optional(), closedAt: z.string() }),
]);
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;
export type PendingApproval = Extract<ApprovalRecord, { status: 'pending' }>;

// Approvals and decisions: the audit record of who was asked, who decided what, when and through which channel.
import { z } from 'zod';
import { MAX_REASON_CHARS } from './names.ts';

export const DecisionChannel = z.enum(['http', 'slack', 'cli']);
export type DecisionChannel = z.infer<typeof DecisionChannel>;

export const Approver = z.object({
  id: z.string().min(1, 'approver.id is missing'),
  channel: DecisionChannel,
});
export type Approver = z.infer<typeof Approver>;

export const Decision = z.enum(['approve', 'reject']);
export type Decision = z.infer<typeof Decision>;

/** The `decide` signal's and update's argument. */
export const DecisionRequest = z.object({
  approvalId: z.string(),
  decision: Decision,
  reason: z.string().max(MAX_REASON_CHARS, `reason is longer than ${MAX_REASON_CHARS} characters`).optional(),
  approver: Approver,
  /** When given, must equal the approval's digest (stale-decision protection). */
  argsDigest: z.string().optional(),
  /**
   * When the decision was made (ISO time), stamped by the API when it receives it. A decision made before the
   * approval expired wins even when it reaches the round after the timer fired (queued while no worker ran);
   * one made later is refused. Without it the round's own clock decides.
   */
  receivedAt: z.iso.datetime({ offset: true, message: 'receivedAt must be an ISO time' }).optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

export const DecisionRecord = z.object({
  decision: Decision,
  approver: Approver,
  reason: z.string().optional(),
  argsDigest: z.string(),
  /** When the decision was made. */
  decidedAt: z.string(),
});
export type DecisionRecord = z.infer<typeof DecisionRecord>;

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
  argsPreview: z.string(),
  argsDigest: z.string(),
  requester: z.string(),
  /** Principal ids allowed to decide; `*` means any authenticated principal. */
  approvers: z.array(z.string()),
  allowSelfApproval: z.boolean(),
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

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** Result of the `decide` update: the approval's effective state after the request. */
export const DecisionResult = z.object({
  approvalId: z.string(),
  status: ApprovalStatus,
  decision: DecisionRecord.optional(),
  /** False when an earlier decision had already closed the approval. */
  applied: z.boolean(),
});
export type DecisionResult = z.infer<typeof DecisionResult>;

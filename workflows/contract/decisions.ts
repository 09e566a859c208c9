// Decisions: who decided what, through which channel, and what the round answered. Imported by workflow code
// at run time (the round checks every decision against DecisionRequest), so it holds only what that needs.
import { z } from 'zod';
import { MAX_REASON_CHARS } from './names.ts';
import { Signature } from './signatures.ts';
import { Quorum } from './quorum.ts';

/** `mcp`: the requester answered the MCP gateway's elicitation form (docs/gateway.md). */
export const DecisionChannel = z.enum(['http', 'slack', 'cli', 'web', 'mcp']);
export type DecisionChannel = z.infer<typeof DecisionChannel>;

export const Approver = z.object({
  id: z.string().min(1, 'approver.id is missing'),
  channel: DecisionChannel,
});
export type Approver = z.infer<typeof Approver>;

/**
 * Channels a recorded decision may name: a person's, `policy` when a configuration change closed the approval, or
 * `grant` when a remembered grant approved it (id `grant:<id>`). No request can name the last two.
 */
export const RecordedChannel = z.enum([...DecisionChannel.options, 'policy', 'grant']);
export type RecordedChannel = z.infer<typeof RecordedChannel>;

export const Decision = z.enum(['approve', 'reject']);
export type Decision = z.infer<typeof Decision>;

/** Argument dot paths (`namespace`, `metadata.labels.app`) to globs (`*`, `?`), matched as argument rules are. */
export const GrantPattern = z
  .record(
    z.string().min(1, 'a pattern path must not be empty').max(200),
    z.string().min(1, 'a pattern glob must not be empty').max(200),
  )
  .refine((pattern) => Object.keys(pattern).length >= 1 && Object.keys(pattern).length <= 20, {
    message: 'a pattern names 1 to 20 argument paths',
  });
export type GrantPattern = z.infer<typeof GrantPattern>;

/**
 * What a decision asks to remember, as the API signed it: the grant lives `ttlMs` (already capped by
 * `approvals.grants.maxTtl`) and covers calls whose arguments match `pattern`, or exactly these arguments.
 */
export const RememberRequest = z.strictObject({
  ttlMs: z.number().int().positive(),
  pattern: GrantPattern.optional(),
  /** Whose calls of which tool, as the API read them off the approval: the signature binds the grant to them. */
  requester: z.string(),
  server: z.string(),
  tool: z.string(),
});
export type RememberRequest = z.infer<typeof RememberRequest>;

/** Who created a grant: the approver whose decision it remembers, and the channel they used. */
export const GrantCreator = z.object({ id: z.string(), channel: z.string() });
export type GrantCreator = z.infer<typeof GrantCreator>;

/** On a decision record approved by a grant: which grant, whose decision it remembers and of which approval. */
export const GrantUse = z.object({ grantId: z.string(), grantedBy: GrantCreator, fromApproval: z.string() });
export type GrantUse = z.infer<typeof GrantUse>;

/** The `decide` signal's and update's argument. */
export const DecisionRequest = z
  .object({
    approvalId: z.string(),
    decision: Decision,
    reason: z.string().max(MAX_REASON_CHARS, `reason is longer than ${MAX_REASON_CHARS} characters`).optional(),
    approver: Approver,
    /** When given, must equal the approval's digest (stale-decision protection). */
    argsDigest: z.string().optional(),
    /** When given, must equal the approval's `previewDigest`: the decision covers the preview the approver saw. */
    previewDigest: z.string().optional(),
    /**
     * When the decision was made (ISO time), stamped by the API when it receives it. A decision made before the
     * approval expired wins even when it reaches the round after the timer fired (queued while no worker ran);
     * one made later is refused. Without it the round's own clock decides.
     */
    receivedAt: z
      .string('receivedAt must be an ISO time')
      .refine((value) => !Number.isNaN(Date.parse(value)), 'receivedAt must be an ISO time')
      .optional(),
    /**
     * The API's signature over the other fields (workflows/shared/signatures.ts). Rounds started since signed
     * decisions (patch `signed-decisions`) apply only decisions signed by a key they loaded at their start.
     */
    signature: Signature.optional(),
    /**
     * Edit on approve: the call to run instead of the model's, complete (not a patch). Only with `approve`, and only
     * with `editedArgsDigest`, the digest of exactly these arguments, which the signature covers.
     */
    arguments: z.record(z.string(), z.unknown()).optional(),
    /** SHA-256 (hex) of the canonical JSON of `arguments`: signed in their place, recomputed by the round. */
    editedArgsDigest: z.string().optional(),
    /** Approve and remember: a grant approves the requester's later matching calls (patch `remembered-grants`). */
    remember: RememberRequest.optional(),
  })
  .refine((request) => request.arguments === undefined || request.decision === 'approve', {
    message: 'arguments may only come with decision approve',
    path: ['arguments'],
  })
  .refine((request) => (request.arguments === undefined) === (request.editedArgsDigest === undefined), {
    message: 'arguments and editedArgsDigest come together',
    path: ['editedArgsDigest'],
  });
export type DecisionRequest = z.infer<typeof DecisionRequest>;

/** Who decided as recorded: a person through a channel, `policy`, or a remembered grant. */
export const RecordedApprover = z.object({ id: z.string(), channel: RecordedChannel });
export type RecordedApprover = z.infer<typeof RecordedApprover>;

export const DecisionRecord = z.object({
  decision: Decision,
  approver: RecordedApprover,
  reason: z.string().optional(),
  argsDigest: z.string(),
  /** The preview digest the approver sent (equal to the approval's): what they approved was previewed so. */
  previewDigest: z.string().optional(),
  /** When the decision was made. */
  decidedAt: z.string(),
  /** Approved with changes: the arguments that ran instead of the approval's `arguments`, and their digest. */
  editedArguments: z.record(z.string(), z.unknown()).optional(),
  editedArgsDigest: z.string().optional(),
  /** The decision asked to remember it: the grant it created is in the round's `grant_created` event. */
  remember: RememberRequest.optional(),
  /** Approved by a remembered grant, not by a person. */
  grant: GrantUse.optional(),
});
export type DecisionRecord = z.infer<typeof DecisionRecord>;

export const ApprovalStatus = z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

/** Result of the `decide` update: the approval's effective state after the request. */
export const DecisionResult = z.object({
  approvalId: z.string(),
  status: ApprovalStatus,
  decision: DecisionRecord.optional(),
  /** False when an earlier decision had already closed the approval. */
  applied: z.boolean(),
  /** A quorum approval: where it stands after this decision (status `pending` while people are still needed). */
  quorum: Quorum.optional(),
  /** An applied edit: the approval's own arguments, so the answer (and the audit, from history) holds both sets. */
  originalArguments: z.record(z.string(), z.unknown()).optional(),
});
export type DecisionResult = z.infer<typeof DecisionResult>;

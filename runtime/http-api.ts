// The HTTP API's wire format: request bodies and parameters (validated by the API, documented in
// /openapi.json) and responses (read by the CLI). Built from the round's contract, never written twice.
import { z } from 'zod';
import { FilterText } from './filter-text.ts';
import {
  ApprovalStatus,
  ApprovalSummary,
  ChatMessage,
  Decision,
  DecisionRecord,
  DecisionResult,
  Grant,
  GrantPattern,
  MAX_REASON_CHARS,
  QueryRoundInput,
  Quorum,
  ApprovalPreview,
  QuotaPeriod,
  ReminderStep,
  ROUND_ID_PATTERN,
  RoundError,
  RoundState,
  RoundStatus,
} from '../workflows/contract.ts';

export const RoundIdParams = z.strictObject({
  id: z.string().regex(ROUND_ID_PATTERN, 'round ids are 1-128 letters, digits, _ or -'),
});

export const ApprovalIdParams = z.strictObject({
  approvalId: z
    .string()
    .max(160)
    .regex(/^[A-Za-z0-9_.-]+$/, 'not an approval id'),
});

export function startRoundBody(maxQueryChars: number) {
  return z
    .strictObject({
      query: z
        .string()
        .trim()
        .min(1, 'query must not be empty')
        .max(maxQueryChars, `query is longer than ${maxQueryChars} characters`),
      messages: z.array(ChatMessage).max(200).optional(),
      previousRoundId: z.string().regex(ROUND_ID_PATTERN, 'not a round id').optional(),
      servers: z.array(z.string().min(1).max(64)).min(1).max(50).optional(),
      maxSteps: QueryRoundInput.shape.maxSteps,
      idempotencyKey: z.string().min(1).max(200).optional(),
    })
    .refine((body) => !(body.messages && body.previousRoundId), {
      message: 'give messages or previousRoundId, not both',
    });
}
export type StartRoundBody = z.infer<ReturnType<typeof startRoundBody>>;

/** An approver's edited call: a JSON object the round checks against the tool's input schema and policy. */
export const EditedArguments = z
  .record(z.string(), z.unknown())
  .describe(
    "Edit on approve: the tool call's complete arguments as the approver wants them run (the approval's `arguments`, changed). The round checks them against the tool's input schema, its policy (`editable`, quorum, approvers) and bounds, and answers 422 invalid_edit or 403 edit_not_allowed with `reasons`.",
  );

export const DecisionBody = z
  .strictObject({
    decision: Decision,
    reason: z.string().max(MAX_REASON_CHARS, `reason is longer than ${MAX_REASON_CHARS} characters`).optional(),
    /** The digest of the arguments the approver reviewed (GET /v1/approvals/{id}): no decision without it. */
    argsDigest: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'argsDigest is required: send the argsDigest of the approval you reviewed (GET /v1/approvals/{approvalId})'
            : 'argsDigest is a hex SHA-256',
      })
      .regex(/^[0-9a-f]{64}$/, 'argsDigest is a hex SHA-256'),
    /**
     * The `previewDigest` of the approval you reviewed, when it has a preview: a decision that sends it covers that
     * preview (signed and audited), and is refused (422 `preview_mismatch`) when it is not the approval's.
     */
    previewDigest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'previewDigest is a hex SHA-256')
      .optional(),
    /** The client the approver used, recorded in the audit: `cli` for the toolgate CLI, else `http`. */
    channel: z.enum(['http', 'cli']).default('http'),
    /** Edit on approve: the complete arguments to run instead of the model's (not a patch); only with approve. */
    arguments: EditedArguments.optional(),
    /** Approve and remember: a grant approves the requester's later calls this covers (README, "Remembered grants"). */
    remember: z
      .strictObject({
        /** `8h`, `30m`, `1d` or milliseconds; capped by approvals.grants.maxTtl. */
        ttl: z.union([
          z.number().int().positive(),
          z.string().regex(/^\d+(ms|s|m|h|d)$/, 'ttl is a duration such as 30m, 8h or 1d, or milliseconds'),
        ]),
        /** Argument dot paths to globs (`*`, `?`); without it the grant covers exactly these arguments. */
        pattern: GrantPattern.optional(),
      })
      .optional(),
  })
  .refine((body) => body.arguments === undefined || body.decision === 'approve', {
    message: 'arguments (an edited call) may only come with decision approve',
    path: ['arguments'],
  })
  .refine((body) => body.remember === undefined || body.decision === 'approve', {
    message: 'remember goes only with decision approve',
    path: ['remember'],
  })
  .refine((body) => body.remember === undefined || body.arguments === undefined, {
    message: 'an approval with changes (arguments) cannot be remembered',
    path: ['remember'],
  });
export type DecisionBody = z.infer<typeof DecisionBody>;

export const GrantIdParams = z.strictObject({
  grantId: z
    .string()
    .max(256)
    .regex(/^grant-[A-Za-z0-9_-]+$/, 'not a grant id'),
});

export const GrantListQuery = z.strictObject({
  /** Whose grants: the caller's own by default; auditors and admins may name anyone. */
  requester: FilterText.optional(),
});

export const GrantListResponse = z.object({ requester: z.string(), grants: z.array(Grant) });
export type GrantListResponse = z.infer<typeof GrantListResponse>;

export const RevokeGrantResponse = z.object({ grant: Grant, revoked: z.literal(true) });
export type RevokeGrantResponse = z.infer<typeof RevokeGrantResponse>;

export const ApprovalListQuery = z.strictObject({
  status: z.literal('pending').default('pending'),
  /** requested: what the caller asked for; decide: what the caller may decide. Default: both. */
  mine: z.enum(['requested', 'decide']).optional(),
  tool: FilterText.optional(),
  requester: FilterText.optional(),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  pageToken: z.string().max(4096).optional(),
});

/** Documentation only: the stream is written event by event (`text/event-stream`), never serialized whole. */
export const EventStreamResponse = z
  .string()
  .describe('text/event-stream: `id`, `event` (the type) and `data` (the event as JSON) per round event');

export const EventsQuery = z.strictObject({
  lastEventId: z.coerce.number().int().min(0).optional(),
});

export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string() }).loose(),
});

export const RoundLinks = z.object({ self: z.string(), events: z.string(), webUi: z.string() });

export const StartRoundResponse = z.object({ roundId: z.string(), created: z.boolean(), links: RoundLinks });

export const ApprovalListResponse = z.object({
  approvals: z.array(ApprovalSummary),
  nextPageToken: z.string().optional(),
});
export type ApprovalListResponse = z.infer<typeof ApprovalListResponse>;

export const ApprovalResponse = ApprovalSummary.extend({
  status: ApprovalStatus,
  /**
   * Every argument, secrets (by exact rule) redacted: the structured value. Absent only while the approval is
   * pending and no worker answered in time (the full arguments are in the round, not in its memo).
   */
  arguments: z.record(z.string(), z.unknown()).optional(),
  /** The same as pretty JSON, control, bidi and zero-width characters escaped (`\u202e`): what a person reads. */
  argumentsText: z.string().optional(),
  decision: DecisionRecord.optional(),
  /** A quorum approval: every decision it counted so far, with channel, reason and time. */
  decisions: z.array(DecisionRecord).optional(),
  /** The preview with its full content (tool output: hostile text, escape it). Without content while no worker answers. */
  preview: ApprovalPreview.partial({ content: true }).optional(),
  closedAt: z.string().optional(),
});
export type ApprovalResponse = z.infer<typeof ApprovalResponse>;

export const DecisionResponse = DecisionResult.extend({
  /** True when no worker answered in time: the decision was signalled and waits in the round's history. */
  queued: z.boolean(),
});
export type DecisionResponse = z.infer<typeof DecisionResponse>;

/**
 * What GET /v1/rounds/{id} answers while the round's worker holds its workflow task (a local LLM call): what
 * the round last published, without waiting for the call to return. Ask again for the full state.
 */
export const PartialRoundState = z.object({
  roundId: z.string(),
  status: RoundStatus.optional(),
  requester: z.string().optional(),
  pendingApprovals: z.array(ApprovalSummary),
  partial: z.literal(true),
  why: z.string(),
});
export type PartialRoundState = z.infer<typeof PartialRoundState>;

export const QuotaQuery = z.strictObject({
  /** Whose quota: the caller's own by default; admins and auditors may read anyone's. */
  principal: z.string().min(1).max(200).optional(),
});

/** A principal's LLM tokens this period; limit and remaining are null when no token quota applies. */
export const TokenStanding = z.object({
  period: QuotaPeriod,
  limit: z.number().int().nullable(),
  /** Tokens used by its rounds started this period, each as it last published. */
  used: z.number().int(),
  remaining: z.number().int().nullable(),
  /** When the period ends (ISO time, UTC). */
  resetsAt: z.string(),
});
export type TokenStanding = z.infer<typeof TokenStanding>;

export const QuotaResponse = z.object({
  principal: z.string(),
  /** false: limits.enabled is off, so rounds and approvals are not limited and no start is refused for tokens. */
  limitsEnabled: z.boolean(),
  tokens: TokenStanding,
  rounds: z.object({ running: z.number().int(), limit: z.number().int() }),
  pendingApprovals: z.object({ pending: z.number().int(), limit: z.number().int() }),
});
export type QuotaResponse = z.infer<typeof QuotaResponse>;

export const CancelResponse = z.object({ roundId: z.string(), status: z.literal('cancelling') });

/**
 * GET /v1/rounds/{id} for an approver who is not its requester, an auditor or an admin: the round's query and
 * the approvals they may decide (summary, status, decision; every argument at GET /v1/approvals/{approvalId}).
 * Nothing of its other calls, their outputs or its answer: those may come from the requester's own credential.
 */
export const ApproverRoundView = z.object({
  roundId: z.string(),
  scope: z.literal('approvals'),
  status: RoundStatus,
  query: z.string(),
  requester: z.string(),
  approvals: z.array(ApprovalResponse),
});
export type ApproverRoundView = z.infer<typeof ApproverRoundView>;

const WithLinks = { links: RoundLinks };

export const RoundResponse = z.union([
  ApproverRoundView.extend(WithLinks),
  PartialRoundState.extend(WithLinks),
  // Loose: the round's state passes as the workflow answers it.
  RoundState.extend(WithLinks).loose(),
]);

const Numbered = { id: z.number(), at: z.string() };

/**
 * The events such an approver streams: the round's start and end, and the approvals they may decide. Parsing a
 * round event with it drops everything else the event carries (the answer, a failure's message).
 */
export const ApproverRoundEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('round_started'), query: z.string(), requester: z.string(), ...Numbered }),
  z.object({ type: z.literal('approval_required'), approval: ApprovalSummary, ...Numbered }),
  z.object({
    type: z.literal('approval_decided'),
    approvalId: z.string(),
    status: ApprovalStatus,
    decision: DecisionRecord.optional(),
    ...Numbered,
  }),
  z.object({
    type: z.literal('approval_counted'),
    approvalId: z.string(),
    decision: DecisionRecord,
    quorum: Quorum,
    ...Numbered,
  }),
  z.object({ type: z.literal('approval_reminded'), approvalId: z.string(), step: ReminderStep, ...Numbered }),
  z.object({
    type: z.literal('approval_escalated'),
    approvalId: z.string(),
    step: ReminderStep,
    approvers: z.array(z.string()),
    ...Numbered,
  }),
  z.object({
    type: z.literal('approval_extended'),
    approvalId: z.string(),
    step: ReminderStep,
    expiresAt: z.string(),
    ...Numbered,
  }),
  z.object({ type: z.literal('round_completed'), ...Numbered }),
  z.object({ type: z.literal('round_failed'), error: RoundError.pick({ type: true }), ...Numbered }),
  /** A policy re-check gave the approval to other people: the new ones see it from here on. */
  z.object({
    type: z.literal('approval_readdressed'),
    approvalId: z.string(),
    approvers: z.array(z.string()),
    quorum: Quorum.optional(),
    recheckedOn: z.string(),
    ...Numbered,
  }),
]);
export type ApproverRoundEvent = z.infer<typeof ApproverRoundEvent>;

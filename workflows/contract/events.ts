// What a client streams (Server-Sent Events): every event the round emits, with an increasing id.
import { z } from 'zod';
import { ApprovalSummary } from './approvals.ts';
import { Quorum } from './quorum.ts';
import { ReminderStep } from './reminders.ts';
import { RecheckOutcome } from './policy-follow.ts';
import { Grant } from './grants.ts';
import { ApprovalStatus, DecisionRecord } from './decisions.ts';
import { Usage } from './conversation.ts';
import { AvailableQuotas } from './quota.ts';
import { RoundError, ToolCallOutcome } from './round.ts';

const EventBodies = [
  z.object({
    type: z.literal('round_started'),
    query: z.string(),
    requester: z.string(),
    tools: z.array(z.string()),
    unavailableServers: z.array(z.string()),
  }),
  z.object({
    type: z.literal('llm_step'),
    step: z.number(),
    toolCalls: z.number(),
    finishReason: z.string(),
    usage: Usage,
  }),
  z.object({
    type: z.literal('tool_call'),
    step: z.number(),
    toolCallId: z.string(),
    name: z.string(),
    server: z.string().optional(),
    arguments: z.string(),
  }),
  z.object({ type: z.literal('approval_required'), approval: ApprovalSummary }),
  z.object({
    type: z.literal('approval_decided'),
    approvalId: z.string(),
    status: ApprovalStatus,
    decision: DecisionRecord.optional(),
  }),
  /** A quorum approval counted a decision and still waits: who decided, and what is still needed. */
  z.object({
    type: z.literal('approval_counted'),
    approvalId: z.string(),
    decision: DecisionRecord,
    quorum: Quorum,
  }),
  /** A waiting approval's approvers were reminded (the model hears nothing of it). */
  z.object({ type: z.literal('approval_reminded'), approvalId: z.string(), step: ReminderStep }),
  /** More people may decide a waiting approval: `approvers` is the list after the escalation. */
  z.object({
    type: z.literal('approval_escalated'),
    approvalId: z.string(),
    step: ReminderStep,
    approvers: z.array(z.string()),
  }),
  /** A waiting approval's expiry moved once (`onTimeout: escalate-and-extend`). */
  z.object({ type: z.literal('approval_extended'), approvalId: z.string(), step: ReminderStep, expiresAt: z.string() }),
  /** A pending approval re-checked under a changed configuration (a `policyChanged` nudge). */
  z.object({
    type: z.literal('approval_rechecked'),
    approvalId: z.string(),
    outcome: RecheckOutcome,
    startedOn: z.string().optional(),
    recheckedOn: z.string(),
    note: z.string().optional(),
  }),
  /** Other people decide this pending approval now (its tool's approvers or groups changed). */
  z.object({
    type: z.literal('approval_readdressed'),
    approvalId: z.string(),
    approvers: z.array(z.string()),
    quorum: Quorum.optional(),
    recheckedOn: z.string(),
  }),
  /** An approval's decision asked to remember: the grant now approves the requester's matching calls. */
  z.object({ type: z.literal('grant_created'), approvalId: z.string(), grant: Grant }),
  /** The grant could not be made (the requester holds as many as allowed); the approved call runs regardless. */
  z.object({ type: z.literal('grant_failed'), approvalId: z.string(), reason: z.string() }),
  z.object({
    type: z.literal('tool_result'),
    step: z.number(),
    toolCallId: z.string(),
    name: z.string(),
    outcome: ToolCallOutcome,
    content: z.string(),
    truncated: z.boolean(),
  }),
  z.object({
    type: z.literal('round_completed'),
    answer: z.string(),
    steps: z.number(),
    /** Tokens the requester has left after this round, when a quota applies (OpenShift Lightspeed's `available_quotas`). */
    availableQuotas: AvailableQuotas.optional(),
  }),
  z.object({ type: z.literal('round_failed'), error: RoundError, availableQuotas: AvailableQuotas.optional() }),
] as const;

/** An event as the round emits it, before it is numbered. */
export const NewRoundEvent = z.discriminatedUnion('type', EventBodies);
export type NewRoundEvent = z.infer<typeof NewRoundEvent>;

/** Numbered in order of emission; `at` is the round's time. */
export const RoundEvent = z.intersection(NewRoundEvent, z.object({ id: z.number(), at: z.string() }));
export type RoundEvent = z.infer<typeof RoundEvent>;
export type RoundEventType = RoundEvent['type'];

export const EventPage = z.object({
  events: z.array(RoundEvent),
  /**
   * Oldest id still kept: events before it were dropped to bound the workflow's state. Later ids may have gaps
   * too: a pending approval's `approval_required` event is kept while newer events are dropped.
   */
  firstAvailableId: z.number(),
  done: z.boolean(),
});
export type EventPage = z.infer<typeof EventPage>;

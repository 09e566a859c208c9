// Reminders and escalation of a waiting approval on durable timers: what a tool's policy plans and what an
// approval records of the steps taken. Kept apart from approvals.ts so the policy (worker config) and the record
// share it.
import { z } from 'zod';

/** `reminder`: the approvers are told again; `escalation`: more people may decide; `extension`: the expiry moved. */
export const ReminderKind = z.enum(['reminder', 'escalation', 'extension']);
export type ReminderKind = z.infer<typeof ReminderKind>;

/** A step the round took while the approval waited. */
export const ReminderStep = z.object({
  kind: ReminderKind,
  at: z.string(),
  /** An escalation: the principals added to the approvers (the group's members as the worker resolved them). */
  to: z.array(z.string()).optional(),
  /** An escalation to a named group of `approvals.groups`. */
  group: z.string().optional(),
  /** An extension: the approval's new expiry. */
  expiresAt: z.string().optional(),
});
export type ReminderStep = z.infer<typeof ReminderStep>;

/** Where an approval's reminders stand: the steps taken, in order, and the step planned next (if any). */
export const Reminders = z.object({
  steps: z.array(ReminderStep),
  next: z.object({ kind: ReminderKind, at: z.string() }).optional(),
});
export type Reminders = z.infer<typeof Reminders>;

/** What a tool's policy plans, in milliseconds after the approval opened (fractions resolved by the worker). */
export const ReminderPlan = z.object({
  remindAfterMs: z.array(z.number().int().positive()),
  escalate: z
    .object({
      /** Absent: escalate only when the approval times out (`onTimeout: escalate-and-extend`). */
      afterMs: z.number().int().positive().optional(),
      to: z.array(z.string()),
      group: z.string().optional(),
      /** The Slack channel the escalation is posted to; the approval's own channel by default. */
      slackChannel: z.string().optional(),
    })
    .optional(),
  /** `escalate-and-extend`: an approval undecided at its expiry is extended once by its timeout (and escalated). */
  onTimeout: z.enum(['reject', 'escalate-and-extend']),
});
export type ReminderPlan = z.infer<typeof ReminderPlan>;

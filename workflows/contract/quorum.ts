// Quorum over approver groups: what a tool's policy requires ("2 of oncall and 1 of dba") and how far an
// approval has got. Kept apart from approvals.ts so the policy types (worker config) and the record share it.
import { z } from 'zod';

/** What closes a quorum approval as rejected: any counted rejection, or only once the quorum cannot be met. */
export const RejectWith = z.enum(['first', 'quorum']);
export type RejectWith = z.infer<typeof RejectWith>;

/** `count` distinct people of `group` must approve; `members` as the worker resolved the group when it listed tools. */
export const QuorumRequirement = z.object({
  group: z.string(),
  count: z.number().int().min(1),
  members: z.array(z.string()),
});
export type QuorumRequirement = z.infer<typeof QuorumRequirement>;

/** A counted decision: who, what, and the group it fills in the current best assignment (approvals only). */
export const QuorumVote = z.object({
  approver: z.string(),
  /** decisions.ts's Decision, spelled here: decisions.ts imports this module (DecisionResult.quorum). */
  decision: z.enum(['approve', 'reject']),
  group: z.string().optional(),
});
export type QuorumVote = z.infer<typeof QuorumVote>;

/** Where a quorum approval stands: its requirements, what is still needed and who has decided. */
export const Quorum = z.object({
  requirements: z.array(QuorumRequirement),
  rejectWith: RejectWith,
  /** Approvals still missing per group (empty once approved). */
  needed: z.array(z.object({ group: z.string(), count: z.number().int().min(1) })),
  decided: z.array(QuorumVote),
});
export type Quorum = z.infer<typeof Quorum>;

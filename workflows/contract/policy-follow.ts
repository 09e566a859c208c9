// Pending approvals follow policy: which configuration an approval was opened and re-checked under, and what the
// worker answers when a round asks for its tools' current policies. The fingerprints name configurations; they
// carry no policy and no secret (runtime/config-fingerprint.ts hashes only the policy-relevant settings).
import { z } from 'zod';
import type { ToolDescriptor } from './tools.ts';

/** What a re-check did to a pending approval. */
export const RecheckOutcome = z.enum([
  /** The policy asks the same of this approval: nothing changed but the record of the re-check. */
  'unchanged',
  /** The policy no longer asks for approval, and the operator did not enable release: it keeps waiting. */
  'loosened',
  /** Other people decide now: approvers (and quorum members) replaced; votes of people no longer allowed dropped. */
  'readdressed',
  /** Closed approved by `policy`: approval no longer required (approvals.recheck.releaseWhenLoosened). */
  'released',
  /** Closed rejected by `policy`: the tool is gone from the configuration or its server. */
  'rejected',
]);
export type RecheckOutcome = z.infer<typeof RecheckOutcome>;

/** The configurations an approval has seen: the one its round started on, and the last it was re-checked under. */
export const ApprovalPolicyTrail = z.object({
  /** Fingerprint of the configuration the round listed its tools under (absent: a worker before fingerprints). */
  startedOn: z.string().optional(),
  recheckedOn: z.string().optional(),
  outcome: RecheckOutcome.optional(),
  /** What the last re-check changed or found, for people (e.g. the votes it dropped). */
  note: z.string().optional(),
});
export type ApprovalPolicyTrail = z.infer<typeof ApprovalPolicyTrail>;

/** An approval a re-check touched, as the round's memo lists it (`Memo.policyRechecks`). */
export const RecheckedApproval = z.object({
  approvalId: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'cancelled']),
  policy: ApprovalPolicyTrail,
});
export type RecheckedApproval = z.infer<typeof RecheckedApproval>;

/** One tool of a pending approval, as the worker's current configuration and its server describe it now. */
export type CurrentTool =
  | { server: string; tool: string; status: 'offered'; descriptor: ToolDescriptor }
  /** Not in the configuration (server removed) or no longer listed by its server: counts as forbidden. */
  | { server: string; tool: string; status: 'gone'; why: string }
  /** The server could not be asked (down, timeout): nothing is concluded from it. */
  | { server: string; tool: string; status: 'unknown'; why: string };

export interface CurrentPolicies {
  configFingerprint: string;
  /** approvals.recheck.releaseWhenLoosened: an approval the policy no longer requires closes approved. */
  releaseWhenLoosened: boolean;
  tools: CurrentTool[];
}

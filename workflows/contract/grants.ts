// Remembered grants: "approve and remember" turns one approval into a grant that approves the requester's later
// matching calls without a human, until it expires, is revoked or the tool changes. Kept apart from decisions.ts
// so the grants workflow, the round and the API share one definition.
import { z } from 'zod';
import { DecisionRequest, GrantCreator, GrantPattern, RememberRequest } from './decisions.ts';

/** One grant: the requester's calls of `server`/`tool` it approves, and whence it came. */
export const Grant = z.object({
  grantId: z.string(),
  requester: z.string(),
  server: z.string(),
  tool: z.string(),
  /** The calls it covers: those whose arguments match (every path, every value), else exactly `argsDigest`. */
  pattern: GrantPattern.optional(),
  argsDigest: z.string().optional(),
  createdBy: GrantCreator,
  /** The approval whose decision created it. */
  fromApproval: z.string(),
  roundId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  /** SHA-256 of the tool's input schema, annotations, resolved policy and server config: any change lapses it. */
  toolFingerprint: z.string(),
  /**
   * The API-signed decision that asked for it: a round uses a grant only when this verifies with its keys and
   * says what the grant says (requester, server, tool, what it covers, no later expiry), so nobody with write
   * access to the namespace makes a grant by an update of their own.
   */
  proof: DecisionRequest,
});
export type Grant = z.infer<typeof Grant>;

/** The `addGrant` update's argument: the grant, and the bound of live grants per requester the worker configures. */
export const AddGrantRequest = z.object({ grant: Grant, limit: z.number().int().min(1) });
export type AddGrantRequest = z.infer<typeof AddGrantRequest>;

/** The `revokeGrant` update's argument; `by` is recorded in the workflow's log (the API checked who may). */
export const RevokeGrantRequest = z.object({ grantId: z.string(), by: z.string() });
export type RevokeGrantRequest = z.infer<typeof RevokeGrantRequest>;

/** The grants workflow's input; `grants` carries the live ones across continue-as-new. */
export const RequesterGrantsInput = z.object({
  requester: z.string(),
  grants: z.array(Grant).optional(),
  /** History events after which the workflow continues as new (tests lower it). */
  continueAfterEvents: z.number().int().min(50).optional(),
});
export type RequesterGrantsInput = z.infer<typeof RequesterGrantsInput>;

/** A gated call the round asks the requester's grants about (activity `findGrant`). */
export const GrantLookup = z.object({
  /** The approval a grant would stand in for (the audit records it under this id). */
  approvalId: z.string(),
  requester: z.string(),
  server: z.string(),
  tool: z.string(),
  arguments: z.record(z.string(), z.unknown()),
  argsDigest: z.string(),
  toolFingerprint: z.string(),
});
export type GrantLookup = z.infer<typeof GrantLookup>;

/** What the round asks the worker to remember once an approval closed approved (activity `createGrant`). */
export const GrantOrder = z.object({
  /** The signed decision as the round applied it. */
  proof: DecisionRequest,
  requester: z.string(),
  server: z.string(),
  tool: z.string(),
  remember: RememberRequest,
  argsDigest: z.string(),
  createdBy: GrantCreator,
  fromApproval: z.string(),
  roundId: z.string(),
  toolFingerprint: z.string(),
});
export type GrantOrder = z.infer<typeof GrantOrder>;

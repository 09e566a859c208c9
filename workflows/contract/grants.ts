// Remembered grants: "approve and remember" turns one approval into a grant that approves the requester's later
// matching calls without a human, until it expires, is revoked or the tool changes. Kept apart from decisions.ts
// so the grants workflow, the round and the API share one definition.
import { z } from 'zod';

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
});
export type RememberRequest = z.infer<typeof RememberRequest>;

/** Who created a grant: the approver whose decision it remembers, and the channel they used. */
export const GrantCreator = z.object({ id: z.string(), channel: z.string() });
export type GrantCreator = z.infer<typeof GrantCreator>;

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

/** On a decision record approved by a grant: which grant, whose decision it remembers and of which approval. */
export const GrantUse = z.object({ grantId: z.string(), grantedBy: GrantCreator, fromApproval: z.string() });
export type GrantUse = z.infer<typeof GrantUse>;

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

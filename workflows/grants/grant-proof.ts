// A grant counts only when the API-signed decision it carries asked for exactly it: anyone with write access to
// the namespace can send the grants workflow an update, but not sign a decision.
import type { Grant, GrantLookup } from '../contract/grants.ts';
import { canonicalJson } from '../canonical-json.ts';

/** Whether `grant` is what its proof (signature checked by `signed`) asked for, for this call's requester and tool. */
export function grantProven(grant: Grant, call: GrantLookup, signed: (proof: Grant['proof']) => boolean): boolean {
  const { proof } = grant;
  const remember = proof.remember;
  if (!remember || proof.decision !== 'approve' || proof.receivedAt === undefined) return false;
  if (remember.requester !== call.requester || remember.server !== call.server || remember.tool !== call.tool)
    return false;
  if (proof.approvalId !== grant.fromApproval || proof.approver.id !== grant.createdBy.id) return false;
  const covers = remember.pattern
    ? canonicalJson(remember.pattern) === canonicalJson(grant.pattern ?? null)
    : grant.pattern === undefined && proof.argsDigest !== undefined && proof.argsDigest === grant.argsDigest;
  if (!covers) return false;
  if (Date.parse(grant.expiresAt) > Date.parse(proof.receivedAt) + remember.ttlMs) return false;
  return signed(proof);
}

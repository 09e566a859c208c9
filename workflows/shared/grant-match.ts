// Whether a grant covers a call: same requester, server, tool and tool fingerprint, not expired, and the
// arguments either exactly those approved (digest) or matching every path of its pattern.
import type { Grant, GrantLookup } from '../contract/grants.ts';
import { everyValueMatches } from '../argument-rules.ts';

export function patternMatches(pattern: Record<string, string>, args: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([path, glob]) => everyValueMatches(path, glob, args));
}

export function grantCovers(grant: Grant, call: GrantLookup, now: number): boolean {
  if (Date.parse(grant.expiresAt) <= now) return false;
  if (grant.requester !== call.requester || grant.server !== call.server || grant.tool !== call.tool) return false;
  if (grant.toolFingerprint !== call.toolFingerprint) return false;
  if (grant.pattern) return patternMatches(grant.pattern, call.arguments);
  return grant.argsDigest === call.argsDigest;
}

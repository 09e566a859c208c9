// When a decision may ask to remember: only an approval, only where the tool allows grants and one person
// decides, and only a pattern that covers the very call approved.
import type { PendingApproval } from '../contract/approvals.ts';
import { FailureType } from '../contract/failures.ts';
import type { DecisionRequest } from '../contract/decisions.ts';
import { patternMatches } from '../shared/grant-match.ts';

const MAX_PATTERN_PATHS = 20;
const MAX_PATTERN_CHARS = 200;

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_PATTERN_CHARS;
}

/** The guard of contract/grants.ts's RememberRequest (no zod in the round: see input-checks.ts). */
function isRememberRequest(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { ttlMs, pattern, requester, server, tool, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !(Number.isInteger(ttlMs) && (ttlMs as number) > 0)) return false;
  if (![requester, server, tool].every((name) => typeof name === 'string')) return false;
  if (pattern === undefined) return true;
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) return false;
  const entries = Object.entries(pattern);
  return (
    entries.length >= 1 &&
    entries.length <= MAX_PATTERN_PATHS &&
    entries.every(([path, glob]) => isText(path) && isText(glob))
  );
}

/** What is wrong with a decision's `remember`, one sentence each. */
export function rememberProblems(remember: unknown, decision: unknown): string[] {
  return [
    ...(isRememberRequest(remember)
      ? []
      : [
          'remember must be {ttlMs, pattern?, requester, server, tool} with pattern mapping 1 to 20 argument paths to globs',
        ]),
    ...(decision === 'approve' ? [] : ['remember goes only with decision approve']),
  ];
}

/** Why this approval's decision cannot be remembered, or undefined when it can. */
export function rememberRefusal(
  record: PendingApproval,
  request: DecisionRequest,
): { type: FailureType; message: string } | undefined {
  if (!request.remember) return undefined;
  if (request.arguments !== undefined)
    return {
      type: FailureType.GrantNotAllowed,
      message: `Approval ${record.approvalId}: an approval with changes cannot be remembered (the grant would cover calls as the model made them, which nobody approved)`,
    };
  if (record.quorum)
    return {
      type: FailureType.GrantNotAllowed,
      message: `Approval ${record.approvalId} needs a quorum: several people's approval cannot be remembered`,
    };
  if (!record.rememberable)
    return {
      type: FailureType.GrantNotAllowed,
      message: `Approval ${record.approvalId}: ${record.server}/${record.tool} does not allow remembered grants`,
    };
  const { pattern, requester, server, tool } = request.remember;
  if (requester !== record.requester || server !== record.server || tool !== record.tool)
    return {
      type: FailureType.InvalidDecision,
      message: `Approval ${record.approvalId}: remember names another requester or tool than the approval's`,
    };
  if (pattern && !patternMatches(pattern, record.arguments))
    return {
      type: FailureType.InvalidDecision,
      message: `Approval ${record.approvalId}: the pattern does not cover the call being approved`,
    };
  return undefined;
}

// Grant ids name their requester, so `DELETE /v1/grants/{id}` finds the grants workflow from the id alone, and
// derive from the approval they remember, so a retried activity adds the same grant, not a second one.
import { createHash } from 'node:crypto';

const GRANT_ID_PATTERN = /^grant-([A-Za-z0-9_-]{1,240})-([0-9a-f]{16})$/;

export function grantIdFor(requester: string, fromApproval: string): string {
  const requesterPart = Buffer.from(requester, 'utf8').toString('base64url');
  const approvalPart = createHash('sha256').update(fromApproval).digest('hex').slice(0, 16);
  return `grant-${requesterPart}-${approvalPart}`;
}

/** The requester whose grants workflow holds this grant; undefined when the id is not a grant id. */
export function requesterOfGrant(grantId: string): string | undefined {
  const match = GRANT_ID_PATTERN.exec(grantId);
  if (!match) return undefined;
  const requester = Buffer.from(match[1]!, 'base64url').toString('utf8');
  return requester !== '' && Buffer.from(requester, 'utf8').toString('base64url') === match[1] ? requester : undefined;
}

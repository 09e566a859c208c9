// GET /v1/quota: what a principal has left of its token quota and how near its round and approval limits it is,
// counted from Temporal as the admission of a new round counts them.
import { ApiError } from '../runtime/api-error.ts';
import type { QuotaResponse } from '../runtime/http-api.ts';
import type { ApiContext } from './api-context.ts';
import { openRounds } from './open-rounds.ts';
import { tokenStanding } from './token-quota.ts';

/** Running rounds counted at most: far above any sensible limit, one visibility page. */
const MAX_ROUNDS_COUNTED = 1000;

/** `of`'s quota as `reader` asks for it: its own, or anyone's for auditors and admins (403 otherwise). */
export async function quotaReport(context: ApiContext, reader: string, of = reader): Promise<QuotaResponse> {
  if (!context.access.mayReadQuota(reader, of)) {
    throw new ApiError(403, 'not_allowed', "Only auditors and admins may read another principal's quota");
  }
  const [open, tokens] = await Promise.all([openRounds(context, of, MAX_ROUNDS_COUNTED), tokenStanding(context, of)]);
  const { enabled, roundsPerPrincipal, pendingApprovalsPerPrincipal } = context.limits;
  return {
    principal: of,
    limitsEnabled: enabled,
    tokens,
    rounds: { running: open.roundIds.length, limit: roundsPerPrincipal },
    pendingApprovals: { pending: open.pendingApprovalIds.length, limit: pendingApprovalsPerPrincipal },
  };
}

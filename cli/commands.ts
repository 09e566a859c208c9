// `rounds show|cancel`, `approvals`, `quota`, `approve` and `reject`.
import type {
  ApprovalListResponse,
  ApprovalResponse,
  ApproverRoundView,
  DecisionResponse,
  PartialRoundState,
  QuotaResponse,
} from '../runtime/http-api.ts';
import type { ApprovalSummary, RoundState } from '../workflows/contract.ts';
import { argsDigest } from '../workflows/shared/digest.ts';
import { reviewReasons } from '../workflows/shared/approval-summary.ts';
import { quorumLine } from '../workflows/shared/quorum-text.ts';
import {
  PROGRAM,
  approvalLine,
  formatApprovals,
  formatFullApproval,
  formatQuota,
  formatRound,
  oneLine,
} from './format.ts';
import { rememberQuestion } from './grants.ts';
import { EXIT, type Session } from './session.ts';

const id = encodeURIComponent;

export async function showRound(session: Session, roundId: string): Promise<number> {
  const state = await session.client.request<
    (RoundState & { links?: { webUi?: string } }) | ApproverRoundView | PartialRoundState
  >('GET', `/v1/rounds/${id(roundId)}`);
  if (session.json) session.out(JSON.stringify(state, null, 2));
  else if ('scope' in state) {
    session.out(
      [
        `round     ${state.roundId}`,
        `status    ${state.status}`,
        `requester ${state.requester}`,
        `query     ${oneLine(state.query, 200)}`,
        '',
        'The approvals you may decide (an approver does not read the rest of the round):',
        ...state.approvals.map(approvalLine),
      ].join('\n'),
    );
  } else if ('partial' in state) {
    session.out(
      `status    ${state.status ?? 'unknown'} (partial: ${state.why})\n${formatApprovals(state.pendingApprovals)}`,
    );
  } else session.out(formatRound(state));
  return EXIT.ok;
}

export async function cancelRound(session: Session, roundId: string): Promise<number> {
  const answer = await session.client.request<{ roundId: string; status: string }>(
    'DELETE',
    `/v1/rounds/${id(roundId)}`,
  );
  session.out(
    session.json
      ? JSON.stringify(answer)
      : `round ${answer.roundId}: cancelling (open approvals close as cancelled, running tool calls are cancelled)`,
  );
  return EXIT.ok;
}

export async function listApprovals(
  session: Session,
  filter: { tool?: string; requester?: string; pageSize?: number },
): Promise<number> {
  const approvals: ApprovalSummary[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ status: 'pending' });
    if (filter.tool) query.set('tool', filter.tool);
    if (filter.requester) query.set('requester', filter.requester);
    if (filter.pageSize) query.set('pageSize', String(filter.pageSize));
    if (pageToken) query.set('pageToken', pageToken);
    const page = await session.client.request<ApprovalListResponse>('GET', `/v1/approvals?${query.toString()}`);
    approvals.push(...page.approvals);
    pageToken = page.nextPageToken;
  } while (pageToken);
  session.out(session.json ? JSON.stringify({ approvals }, null, 2) : formatApprovals(approvals));
  return EXIT.ok;
}

export async function showQuota(session: Session, principal: string | undefined): Promise<number> {
  const query = principal === undefined ? '' : `?${new URLSearchParams({ principal }).toString()}`;
  const quota = await session.client.request<QuotaResponse>('GET', `/v1/quota${query}`);
  session.out(session.json ? JSON.stringify(quota, null, 2) : formatQuota(quota));
  return EXIT.ok;
}

/** Why the CLI will not decide a pending approval as asked, or undefined when it may. */
async function declined(
  session: Session,
  approval: ApprovalResponse,
  decision: 'approve' | 'reject',
  yes: boolean,
  remembering = '',
): Promise<string | undefined> {
  if (approval.arguments === undefined || approval.argumentsText === undefined)
    return decision === 'approve'
      ? 'no worker answered in time to show every argument; nothing unseen is approved, try again shortly'
      : undefined;
  const shown = formatFullApproval(approval, decision);
  if (session.json) session.err(shown);
  else await session.page(shown);
  if (!approval.redacted?.length && argsDigest(approval.arguments) !== approval.argsDigest)
    return 'the arguments shown do not have the approval digest';
  if (yes) {
    const reasons = reviewReasons(approval, Infinity);
    if (decision === 'approve' && reasons.length > 0)
      return `--yes refused (${reasons.join('; ')}): read the arguments above and confirm without --yes`;
    return undefined;
  }
  const confirmed = await session.confirm(`${decision === 'approve' ? 'Approve' : 'Reject'} this call?${remembering}`);
  return confirmed ? undefined : 'not confirmed';
}

/**
 * Shows every argument of what is being decided and asks (unless --yes), then sends the digest of exactly those
 * arguments (or the one given with --digest), so a decision can never apply to arguments the operator did not see.
 */
export async function decide(
  session: Session,
  approvalId: string,
  body: {
    decision: 'approve' | 'reject';
    reason?: string;
    argsDigest?: string;
    remember?: { ttl: string; pattern?: Record<string, string> };
  },
  yes: boolean,
): Promise<number> {
  const approval = await session.client.request<ApprovalResponse>('GET', `/v1/approvals/${id(approvalId)}`);
  if (approval.status === 'pending') {
    const why = await declined(session, approval, body.decision, yes, rememberQuestion(body.remember));
    if (why) {
      session.err(`${PROGRAM}: ${approvalId} not ${body.decision === 'approve' ? 'approved' : 'rejected'}: ${why}`);
      return EXIT.declined;
    }
  }
  const sent = { ...body, argsDigest: body.argsDigest ?? approval.argsDigest, channel: 'cli' as const };
  const answer = await session.client.request<DecisionResponse>('POST', `/v1/approvals/${id(approvalId)}`, sent);
  if (session.json) {
    session.out(JSON.stringify(answer, null, 2));
    return EXIT.ok;
  }
  if (answer.queued) {
    session.out(
      `${approvalId}: ${body.decision} sent, but no worker answered; the decision is queued in the round's history`,
    );
    return EXIT.ok;
  }
  const by = answer.decision
    ? ` by ${answer.decision.approver.id} (${answer.decision.approver.channel})${answer.decision.reason ? `: ${JSON.stringify(answer.decision.reason)}` : ''}`
    : '';
  // A quorum approval may stay pending after a decision that counted: say what it still needs.
  const quorum = answer.quorum ? `; ${quorumLine(answer.quorum)}` : '';
  session.out(
    answer.applied
      ? `${approvalId}: ${answer.status === 'pending' ? `${body.decision} counted, still pending` : answer.status}${by}${quorum}`
      : `${approvalId}: not applied; the approval was already ${answer.status}${by}`,
  );
  return EXIT.ok;
}

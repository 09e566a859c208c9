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
import { EditError, editInEditor, editSummary, readArgumentsOption } from './edit-arguments.ts';

/** Approve with edited arguments: from `--arguments` (JSON or @file) or from $EDITOR (`--edit`). */
export type EditRequest = { raw: string } | { editor: true };

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
  edit?: EditRequest,
): Promise<number> {
  const approval = await session.client.request<ApprovalResponse>('GET', `/v1/approvals/${id(approvalId)}`);
  if (edit && approval.status === 'pending') return decideEdited(session, approval, body, yes, edit);
  if (approval.status === 'pending') {
    const why = await declined(session, approval, body.decision, yes, rememberQuestion(body.remember));
    if (why) {
      session.err(`${PROGRAM}: ${approvalId} not ${body.decision === 'approve' ? 'approved' : 'rejected'}: ${why}`);
      return EXIT.declined;
    }
  }
  return send(session, approvalId, {
    ...body,
    argsDigest: body.argsDigest ?? approval.argsDigest,
    ...previewOf(approval),
  });
}

/**
 * Edit on approve: every argument is shown first, as for any approval; then the edit (from the option or the
 * editor) is shown as what it changes and confirmed (unless --yes). An edit that changes nothing approves as is.
 */
async function decideEdited(
  session: Session,
  approval: ApprovalResponse,
  body: DecisionBody,
  yes: boolean,
  edit: EditRequest,
): Promise<number> {
  const { approvalId } = approval;
  const fail = (why: string, code: number = EXIT.declined) => {
    session.err(`${PROGRAM}: ${approvalId} not approved: ${why}`);
    return code;
  };
  if (approval.arguments === undefined)
    return fail('no worker answered in time to show every argument; nothing unseen is approved, try again shortly');
  const shown = formatFullApproval(approval, 'approve');
  if (session.json) session.err(shown);
  else await session.page(shown);
  if (!approval.redacted?.length && argsDigest(approval.arguments) !== approval.argsDigest)
    return fail('the arguments shown do not have the approval digest');
  let edited: Record<string, unknown> | undefined;
  try {
    edited = 'raw' in edit ? readArgumentsOption(edit.raw) : editInEditor(approval.arguments);
  } catch (error) {
    if (error instanceof EditError) return fail(error.message, EXIT.usage);
    throw error;
  }
  const changes = edited && editSummary(approval.arguments, edited);
  if (edited && changes) session.err(`Approve with these changes:\n${changes}`);
  else session.err('The arguments are unchanged: this approves the call as the model made it.');
  if (!yes && !(await session.confirm(changes ? 'Approve with these changes?' : 'Approve this call?')))
    return fail('not confirmed');
  const argsDigestSent = body.argsDigest ?? approval.argsDigest;
  return send(session, approvalId, {
    ...body,
    argsDigest: argsDigestSent,
    ...previewOf(approval),
    ...(changes ? { arguments: edited } : {}),
  });
}

type DecisionBody = { decision: 'approve' | 'reject'; reason?: string; argsDigest?: string };

/** The preview shown with the approval: the decision covers it, and is refused if the approval was previewed otherwise. */
function previewOf(approval: ApprovalResponse): { previewDigest?: string } {
  return approval.previewDigest ? { previewDigest: approval.previewDigest } : {};
}

async function send(
  session: Session,
  approvalId: string,
  body: DecisionBody & { argsDigest: string; previewDigest?: string; arguments?: Record<string, unknown> },
): Promise<number> {
  const sent = { ...body, channel: 'cli' as const };
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
  const changed = answer.decision?.editedArguments ? ' with changes' : '';
  session.out(
    answer.applied
      ? `${approvalId}: ${answer.status === 'pending' ? `${body.decision} counted, still pending` : answer.status}${changed}${by}${quorum}`
      : `${approvalId}: not applied; the approval was already ${answer.status}${by}`,
  );
  return EXIT.ok;
}

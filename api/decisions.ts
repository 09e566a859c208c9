// A decision (HTTP API, CLI or Slack) is checked against what the round published (its memo, no worker
// needed): approver, digest and expiry. It goes to the round as the `decide` update, so the answer is the
// workflow's own verdict; by approval id (HTTP, CLI) the update goes first and the memo is read only when the
// round does not simply take it, since its validator checks the same. When no worker answers in time it is sent
// as the `decide` signal instead, once the check passed: durable in history, applied when a worker returns, and
// reported as queued.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { approvalSummary } from '../workflows/shared/approval-summary.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import { quorumRefusal } from '../workflows/shared/quorum.ts';
import { argumentsText } from '../workflows/shared/visible-text.ts';
import { argsDigest, canonicalJson } from '../workflows/shared/digest.ts';
import { MAX_EDITED_ARGUMENTS_CHARS } from '../workflows/contract/names.ts';
import { MAX_ARGUMENT_DEPTH, nestsDeeperThan } from '../workflows/shared/nesting.ts';
import {
  FailureType,
  decideSignal,
  decideUpdate,
  parseApprovalId,
  type ApprovalRecord,
  type ApprovalSummary,
  type Approver,
  type DecisionRecord,
  type DecisionRequest,
  type DecisionResult,
  type RememberRequest,
} from '../workflows/contract.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApiContext } from './api-context.ts';
import { closedApproval, findApproval } from './find-approval.ts';
import type { RoundFacts } from './round-facts.ts';
import type { ApprovalResponse, DecisionBody, DecisionResponse } from '../runtime/http-api.ts';
import { isNotFound, isWorkerTimeout, toApiError } from './temporal-errors.ts';
import { rememberRequest } from './grants.ts';

/** The decision itself; who made it and through which channel travel as the approver. */
export type DecisionInput = Omit<DecisionBody, 'channel'>;

function approvalNotFound(approvalId: string): ApiError {
  return new ApiError(404, 'approval_not_found', `Approval ${approvalId} not found`);
}

function closedDetails(status: string, decision: DecisionRecord | undefined) {
  return {
    status,
    ...(decision
      ? { decidedBy: decision.approver.id, channel: decision.approver.channel, decidedAt: decision.decidedAt }
      : {}),
  };
}

function refusal(failure: unknown, approvalId: string): ApiError {
  if (!(failure instanceof ApplicationFailure))
    return new ApiError(409, 'decision_refused', 'The round refused the decision');
  const detail = (failure.details?.[0] ?? {}) as { status?: string; decision?: DecisionRecord; reasons?: string[] };
  switch (failure.type) {
    case FailureType.ApprovalNotFound:
      return approvalNotFound(approvalId);
    case FailureType.ApprovalClosed:
      return new ApiError(
        409,
        'approval_closed',
        failure.message,
        closedDetails(detail.status ?? 'closed', detail.decision),
      );
    case FailureType.DigestMismatch:
      return new ApiError(422, 'digest_mismatch', failure.message);
    case FailureType.PreviewMismatch:
      return new ApiError(422, 'preview_mismatch', failure.message);
    case FailureType.NotAnApprover:
      return new ApiError(403, 'not_an_approver', failure.message);
    case FailureType.AlreadyDecided:
      return new ApiError(409, 'already_decided', failure.message);
    case FailureType.DecisionNotNeeded:
      return new ApiError(409, 'decision_not_needed', failure.message);
    case FailureType.InvalidDecision:
      return new ApiError(400, 'invalid_request', failure.message);
    case FailureType.InvalidEdit:
      return new ApiError(422, 'invalid_edit', failure.message, { reasons: detail.reasons ?? [] });
    case FailureType.EditNotAllowed:
      return new ApiError(403, 'edit_not_allowed', failure.message, { reasons: detail.reasons ?? [] });
    case FailureType.GrantNotAllowed:
      return new ApiError(403, 'grant_not_allowed', failure.message);
    default:
      return new ApiError(409, 'decision_refused', failure.message);
  }
}

/** 404, or 409 with what became of an approval that is no longer pending. */
async function closedVerdict(context: ApiContext, roundId: string, approvalId: string): Promise<ApiError> {
  const approval = await closedApproval(context, roundId, approvalId);
  if (!approval) return approvalNotFound(approvalId);
  const by = approval.decision ? ` by ${approval.decision.approver.id} (${approval.decision.approver.channel})` : '';
  return new ApiError(
    409,
    'approval_closed',
    `Approval ${approvalId} is already ${approval.status}${by}`,
    closedDetails(approval.status, approval.decision),
  );
}

/** An edit the API does not even sign: the round refuses it too, and it would sit queued in history. */
function oversizedEdit(edited: Record<string, unknown>): string | undefined {
  if (nestsDeeperThan(edited, MAX_ARGUMENT_DEPTH)) return `the arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels`;
  const chars = canonicalJson(edited).length;
  if (chars > MAX_EDITED_ARGUMENTS_CHARS)
    return `the arguments are ${chars} characters of JSON, more than ${MAX_EDITED_ARGUMENTS_CHARS}`;
  return undefined;
}

/** Refuses what the round would refuse, from its published summary, so nothing is queued that cannot apply. */
function precheck(pending: ApprovalSummary, approver: Approver, body: DecisionInput, now: number): void {
  const permission = mayDecide(pending, approver.id);
  if (!permission.allowed) throw new ApiError(403, 'not_an_approver', permission.why);
  const uncounted = pending.quorum && quorumRefusal(pending.quorum, approver.id);
  if (uncounted) {
    const code = uncounted.reason === 'already_decided' ? 'already_decided' : 'decision_not_needed';
    throw new ApiError(409, code, `Approval ${pending.approvalId}: ${uncounted.why}`);
  }
  if (body.argsDigest !== pending.argsDigest) {
    throw new ApiError(
      422,
      'digest_mismatch',
      `Approval ${pending.approvalId} is for other arguments (digest ${pending.argsDigest})`,
    );
  }
  const oversized = body.arguments && oversizedEdit(body.arguments);
  if (oversized) {
    throw new ApiError(422, 'invalid_edit', `Approval ${pending.approvalId} edit is invalid: ${oversized}`, {
      reasons: [oversized],
    });
  }
  if (body.previewDigest !== undefined && body.previewDigest !== pending.previewDigest) {
    throw new ApiError(
      422,
      'preview_mismatch',
      `Approval ${pending.approvalId} was previewed otherwise (${pending.previewDigest ? `preview digest ${pending.previewDigest}` : 'it has no preview'})`,
    );
  }
  if (now >= Date.parse(pending.expiresAt)) {
    throw new ApiError(409, 'approval_closed', `Approval ${pending.approvalId} expired at ${pending.expiresAt}`, {
      status: 'expired',
    });
  }
}

/** 403 before anything reaches the round: a quorum, or a tool whose policy allows no grants. */
function refuseUnrememberable(context: ApiContext, pending: ApprovalSummary): void {
  if (!pending.quorum && pending.rememberable) return;
  const why = pending.quorum
    ? 'it needs a quorum: several people cannot be remembered as one grant'
    : `${pending.server}/${pending.tool} does not allow remembered grants`;
  context.grantMetrics.grantRequests.inc({ result: 'grant_not_allowed' });
  throw new ApiError(403, 'grant_not_allowed', `Approval ${pending.approvalId} cannot be remembered: ${why}`);
}

/** The pending approval as the round published it; anything else is answered here (404, or 409 with what became of it). */
export async function pendingApproval(
  context: ApiContext,
  approvalId: string,
  principal: string,
): Promise<{ facts: RoundFacts; pending: ApprovalSummary }> {
  const found = await findApproval(context, approvalId);
  if (!found) throw approvalNotFound(approvalId);
  const { facts, pending } = found;
  if (pending) return { facts, pending };
  // Not pending: only someone who may read the round learns whether it was decided, expired or never existed.
  if (!context.access.mayRead(principal, facts)) throw approvalNotFound(approvalId);
  throw await closedVerdict(context, facts.roundId, approvalId);
}

/** What became of the `decide` update: the round's own verdict, or why it gave none. */
type UpdateOutcome =
  | { kind: 'decided'; result: DecisionResult }
  | { kind: 'refused'; failure: unknown }
  /** The round is closed (completed, cancelled) or never existed. */
  | { kind: 'gone' }
  /** No worker answered within the API's wait. */
  | { kind: 'unanswered' };

async function sendUpdate(context: ApiContext, roundId: string, request: DecisionRequest): Promise<UpdateOutcome> {
  const handle = context.client.workflow.getHandle(roundId);
  try {
    const result = await context.client.withDeadline(Date.now() + context.workerWaitMs, () =>
      handle.executeUpdate(decideUpdate, { args: [request] }),
    );
    return { kind: 'decided', result };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) return { kind: 'refused', failure: error.cause };
    if (isNotFound(error)) return { kind: 'gone' };
    if (isWorkerTimeout(error)) return { kind: 'unanswered' };
    throw error;
  }
}

/** The answer to a decision once its summary check passed: the round's verdict, or queued as the signal. */
async function answer(
  context: ApiContext,
  roundId: string,
  request: DecisionRequest,
  outcome: UpdateOutcome,
): Promise<DecisionResponse> {
  const { approvalId } = request;
  switch (outcome.kind) {
    case 'decided':
      return { ...outcome.result, queued: false };
    case 'refused':
      throw refusal(outcome.failure, approvalId);
    case 'gone':
      // The round closed between the check and the update.
      throw await closedVerdict(context, roundId, approvalId);
    case 'unanswered':
      await context.client.workflow
        .getHandle(roundId)
        .signal(decideSignal, request)
        .catch((error: unknown) => {
          throw toApiError(error, roundId);
        });
      return { approvalId, status: 'pending', applied: false, queued: true };
  }
}

/** Signed: the round learns who decided, when and for which arguments from the API, not from the message. */
function signedRequest(
  context: ApiContext,
  approvalId: string,
  approver: Approver,
  body: DecisionInput,
  now: number,
  remember: RememberRequest | undefined,
): DecisionRequest {
  return context.signer.decision({
    approvalId,
    decision: body.decision,
    approver,
    receivedAt: new Date(now).toISOString(),
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    argsDigest: body.argsDigest,
    // The signature covers the edit through its digest; the round recomputes it from the arguments it receives.
    ...(body.arguments === undefined
      ? {}
      : { arguments: body.arguments, editedArgsDigest: argsDigest(body.arguments) }),
    ...(body.previewDigest === undefined ? {} : { previewDigest: body.previewDigest }),
    ...(remember ? { remember } : {}),
  });
}

/**
 * How long a decision by approval id waits for the round's own answer before the API reads the summary as well. A
 * worker answers an update in tens of milliseconds, so a decision it takes costs one round trip; past this wait the
 * summary answers a bad decision while no worker runs, and clears a good one to be queued as the signal.
 */
const SUMMARY_AFTER_MS = 100;

/**
 * Refusals the validator words exactly as the summary check would: it makes them only after the checks the
 * summary check makes first (digest, preview, expiry; approver before quorum), so no summary is needed to answer.
 */
const AS_THE_SUMMARY_SAYS: ReadonlySet<string> = new Set([
  FailureType.NotAnApprover,
  FailureType.AlreadyDecided,
  FailureType.DecisionNotNeeded,
  FailureType.InvalidEdit,
  FailureType.EditNotAllowed,
]);

/** The promise's value when it settles within `ms`, else undefined (it keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A decision by approval id (HTTP API, CLI). It goes to the round as the update at once, since the update's
 * validator checks what the summary check does; the summary is read only when the round refuses, is gone or has
 * not answered within {@link SUMMARY_AFTER_MS}, and a refusal it shows is the answer as before (same 4xx, the same
 * one of several, and at once while no worker runs). With no worker it clears the decision to be queued.
 */
export async function decide(
  context: ApiContext,
  approvalId: string,
  approver: Approver,
  body: DecisionInput,
): Promise<DecisionResponse> {
  const ids = parseApprovalId(approvalId);
  if (!ids) throw approvalNotFound(approvalId);
  // Remembering needs the summary to sign (requester, tool); an oversized edit is not even signed.
  if (body.remember || (body.arguments && oversizedEdit(body.arguments))) {
    const { facts, pending } = await pendingApproval(context, approvalId, approver.id);
    return submitDecision(context, facts.roundId, pending, approver, body);
  }
  const now = Date.now();
  const request = signedRequest(context, approvalId, approver, body, now, undefined);
  const updated = sendUpdate(context, ids.roundId, request);
  const early = await within(updated, SUMMARY_AFTER_MS);
  if (early?.kind === 'decided') return { ...early.result, queued: false };
  if (early?.kind === 'refused' && early.failure instanceof ApplicationFailure) {
    if (AS_THE_SUMMARY_SAYS.has(early.failure.type ?? '')) throw refusal(early.failure, approvalId);
  }
  const checked = pendingApproval(context, approvalId, approver.id).then(({ pending }) =>
    precheck(pending, approver, body, now),
  );
  // Still waiting for a worker: a refusal the summary shows wins as soon as it is known, the round's word otherwise.
  const outcome = early ?? (await Promise.race([updated, checked.then(() => updated)]));
  if (outcome.kind === 'decided') return { ...outcome.result, queued: false };
  await checked;
  return answer(context, ids.roundId, request, outcome);
}

/**
 * A decision on an approval found pending: checked against what the round published, then sent as the update
 * (the workflow's own verdict) or, when no worker answers in time, as the signal (queued).
 */
export async function submitDecision(
  context: ApiContext,
  roundId: string,
  pending: ApprovalSummary,
  approver: Approver,
  body: DecisionInput,
): Promise<DecisionResponse> {
  const now = Date.now();
  precheck(pending, approver, body, now);
  if (body.remember) refuseUnrememberable(context, pending);
  const remember = body.remember && (await rememberRequest(context, pending, body.remember));
  const request = signedRequest(context, pending.approvalId, approver, body, now, remember || undefined);
  return answer(context, roundId, request, await sendUpdate(context, roundId, request));
}

/** The full arguments as the round holds them (already redacted by its rules), and their text for people. */
function fullArguments(record: ApprovalRecord) {
  const { text, escaped } = argumentsText(record.arguments);
  return {
    ...approvalSummary(record),
    // A round older than the full view measured nothing; say what this text holds.
    ...(record.argsChars === undefined ? { escaped, argsChars: text.length } : {}),
    arguments: record.arguments,
    argumentsText: text,
    ...(record.preview ? { preview: record.preview } : {}),
  };
}

/**
 * One approval as its reader may see it, with every argument: they live in the round's state (a worker
 * answers), since the memo has room for a preview only. While no worker answers, a pending approval is shown
 * from its memo summary without them, and no channel approves it in one click.
 */
export async function approvalView(
  context: ApiContext,
  approvalId: string,
  principal: string,
): Promise<ApprovalResponse> {
  const found = await findApproval(context, approvalId);
  const scope = found && context.access.readScope(principal, found.facts);
  if (!found || !scope) throw approvalNotFound(approvalId);
  const record = await closedApproval(context, found.facts.roundId, approvalId).catch((error: unknown) => {
    if (found.pending && error instanceof ApiError && error.code === 'worker_unavailable') return undefined;
    throw error;
  });
  // An approver who reads only what they may decide learns nothing of the round's other approvals.
  const shown = record ?? found.pending;
  if (shown && !context.access.seesApproval(principal, scope, shown)) throw approvalNotFound(approvalId);
  if (!record) {
    if (found.pending) return { ...found.pending, status: 'pending' as const };
    throw approvalNotFound(approvalId);
  }
  return {
    ...fullArguments(record),
    status: record.status,
    decision: record.decision,
    ...(record.decisions ? { decisions: record.decisions } : {}),
    closedAt: record.closedAt,
  };
}

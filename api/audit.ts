// The audit trail, rebuilt from what Temporal already keeps: visibility selects the rounds (search attributes),
// each round's history says what it opened (memo upserts of its pending approvals), which decisions reached it
// (`decide` signals and accepted updates, with the API's signature) and when each approval closed. No worker
// and no side database: closed rounds read the same way as running ones, and no workflow code changed.
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { temporal } from '@temporalio/proto';
import {
  ApproversAttribute,
  DecisionRequest,
  DecisionResult,
  Memo,
  RequesterAttribute,
  WORKFLOW_TYPE,
  decideSignal,
  decideUpdate,
  SigningPublicKey,
  type ApprovalSummary,
  type RecheckedApproval,
} from '../workflows/contract.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import { quorumOutcome, quorumRefusal, quorumState } from '../workflows/shared/quorum.ts';
import { decisionSigningText, signatureProblem } from '../workflows/shared/signatures.ts';
import {
  AuditSignature,
  chainEntries,
  type AuditDecision,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type UnchainedEntry,
} from '../runtime/audit.ts';
import { CodecError, openPayload } from '../runtime/payload-codec.ts';
import type { ApiContext } from './api-context.ts';
import { GrantTrail } from './grant-audit.ts';
import { decodePageToken, invalidPageToken, quoted } from './pending-approvals.ts';
import { isInvalidArgument, isUnknownServerError } from './temporal-errors.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function decoded<T>(context: ApiContext, payload: Payload): Promise<T> {
  return openPayload<T>(context.client.options.loadedDataConverter, payload);
}

function eventTime(event: HistoryEvent): string {
  const seconds = Number(event.eventTime?.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6)).toISOString();
}

async function historyOf(context: ApiContext, workflowId: string, runId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await context.client.workflowService.getWorkflowExecutionHistory({
      namespace: context.namespace,
      execution: { workflowId, runId },
      skipArchival: true,
      nextPageToken,
    });
    events.push(...(response.history?.events ?? []));
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/** A decision that reached the round: a signal, or an update the round's validator accepted. */
interface Arrival {
  request: unknown;
  eventId: number;
  at: string;
  update: boolean;
}

interface Closing {
  approvalId: string;
  eventId: number;
  at: string;
  cancelRequested: boolean;
}

/** The keys a signed round loaded (its `signingKeys` local activity), as its history recorded them. */
const LoadedKeys = z.object({ keys: z.array(SigningPublicKey) });
const LocalActivityMarker = z.object({ activity_type: z.string() });

/**
 * Could the round have applied this signalled decision? The checks of its approval book that need no state; in a
 * round that loaded signing keys, an unsigned or badly signed decision was ignored, so it is not credited.
 */
function admissible(arrival: Arrival, approval: ApprovalSummary, keys: SigningPublicKey[] | undefined): boolean {
  const request = DecisionRequest.safeParse(arrival.request);
  if (!request.success || request.data.approvalId !== approval.approvalId) return false;
  if (keys && signatureProblem(decisionSigningText(request.data), request.data.signature, keys) !== undefined)
    return false;
  if (request.data.argsDigest !== undefined && request.data.argsDigest !== approval.argsDigest) return false;
  if (request.data.previewDigest !== undefined && request.data.previewDigest !== approval.previewDigest) return false;
  if (Date.parse(request.data.receivedAt ?? arrival.at) >= Date.parse(approval.expiresAt)) return false;
  return mayDecide(approval, request.data.approver.id).allowed;
}

/** The decision as the round received it, its signature kept opaque (checked by `toolgate audit verify`). */
function receivedDecision(request: unknown): AuditDecision | undefined {
  const parsed = DecisionRequest.safeParse(request);
  if (!parsed.success) return undefined;
  const { decision, approver, receivedAt, reason, argsDigest, editedArgsDigest, previewDigest, remember } = parsed.data;
  const signature = AuditSignature.safeParse((request as { signature?: unknown }).signature).data;
  return {
    decision,
    approver: { id: approver.id, channel: approver.channel },
    ...(receivedAt === undefined ? {} : { receivedAt }),
    ...(reason === undefined ? {} : { reason }),
    ...(argsDigest === undefined ? {} : { argsDigest }),
    ...(parsed.data.arguments === undefined ? {} : { arguments: parsed.data.arguments, editedArgsDigest }),
    ...(previewDigest === undefined ? {} : { previewDigest }),
    ...(signature ? { signature } : {}),
    ...(remember === undefined ? {} : { remember }),
  };
}

/** Who decided an arrival (it parsed as a decision: only such arrivals are counted). */
function vote(arrival: Arrival): { approver: string; decision: 'approve' | 'reject' } {
  const request = arrival.request as DecisionRequest;
  return { approver: request.approver.id, decision: request.decision };
}

/**
 * The decisions a quorum approval counted, in order, as its book did: updates that say they applied, and signals
 * that passed its checks when they arrived (admissible, by someone not yet counted who fills an unmet requirement,
 * while it was still open). With the outcome they reached, if any.
 */
function quorumCount(
  candidates: Arrival[],
  summary: ApprovalSummary & { quorum: NonNullable<ApprovalSummary['quorum']> },
  keys: SigningPublicKey[] | undefined,
  appliedUpdates: Set<number>,
): { counted: Arrival[]; outcome: 'approved' | 'rejected' | undefined } {
  const counted: Arrival[] = [];
  const eligible = (principal: string) => mayDecide(summary, principal).allowed;
  for (const arrival of candidates) {
    const state = quorumState(summary.quorum, counted.map(vote));
    if (quorumOutcome(state, eligible)) break;
    if (arrival.update ? appliedUpdates.has(arrival.eventId) : admissible(arrival, summary, keys)) {
      if (quorumRefusal(state, vote(arrival).approver) === undefined) counted.push(arrival);
    }
  }
  return { counted, outcome: quorumOutcome(quorumState(summary.quorum, counted.map(vote)), eligible) };
}

/** A quorum approval's entry fields: what it required and every decision it counted. */
function quorumFields(summary: ApprovalSummary, counted: Arrival[]): Pick<UnchainedEntry, 'quorum' | 'decisions'> {
  if (!summary.quorum) return {};
  const { requirements, rejectWith } = summary.quorum;
  return {
    quorum: { requirements, rejectWith },
    decisions: counted.flatMap((arrival) => receivedDecision(arrival.request) ?? []),
  };
}

/** The configuration an approval started on and what the last policy re-check did to it, when either is known. */
function policyField(summary: ApprovalSummary, recheck: RecheckedApproval | undefined): Pick<UnchainedEntry, 'policy'> {
  const policy = { ...summary.policy, ...recheck?.policy };
  return Object.keys(policy).length > 0 ? { policy } : {};
}

/** Every approval a round opened, as audit entries in chain order; [] for a round sealed with a key the API lacks. */
export async function roundEntries(context: ApiContext, roundId: string, runId: string): Promise<AuditEntry[]> {
  const opened = new Map<string, { summary: ApprovalSummary; eventId: number }>();
  const arrivals: Arrival[] = [];
  const appliedUpdates = new Set<number>();
  /** Applied edits' original arguments, by the update's accepted event. */
  const originals = new Map<number, Record<string, unknown>>();
  const closings: Closing[] = [];
  let pendingIds: string[] = [];
  let cancelRequested = false;
  let keys: SigningPublicKey[] | undefined;
  /** What policy re-checks did, as the round last published it (its memo lists closed approvals too). */
  let rechecks = new Map<string, RecheckedApproval>();
  const grants = new GrantTrail(roundId);
  try {
    for (const event of await historyOf(context, roundId, runId)) {
      const eventId = Number(event.eventId);
      if (await grants.take(event, eventId, eventTime(event), (payload) => decoded(context, payload))) continue;
      const marker = event.markerRecordedEventAttributes;
      const memo = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[Memo.pendingApprovals];
      const signal = event.workflowExecutionSignaledEventAttributes;
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      const completed = event.workflowExecutionUpdateCompletedEventAttributes;
      const localActivity = marker?.markerName === 'core_local_activity' ? marker.details : undefined;
      if (localActivity?.data?.payloads?.[0] && localActivity.result?.payloads?.[0]) {
        const about = LocalActivityMarker.safeParse(await decoded(context, localActivity.data.payloads[0]));
        if (about.data?.activity_type === 'signingKeys')
          keys = LoadedKeys.parse(await decoded(context, localActivity.result.payloads[0])).keys;
      } else if (memo) {
        const summaries = await decoded<ApprovalSummary[]>(context, memo);
        // A re-addressed or escalated approval keeps its opening event but is judged by who may decide it now
        // (a reminder step also publishes its later expiry and the steps taken).
        for (const summary of summaries)
          opened.set(summary.approvalId, { summary, eventId: opened.get(summary.approvalId)?.eventId ?? eventId });
        const touched = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[Memo.policyRechecks];
        if (touched)
          rechecks = new Map(
            (await decoded<RecheckedApproval[]>(context, touched)).map((entry) => [entry.approvalId, entry]),
          );
        const ids = new Set(summaries.map((summary) => summary.approvalId));
        for (const approvalId of pendingIds.filter((id) => !ids.has(id)))
          closings.push({ approvalId, eventId, at: eventTime(event), cancelRequested });
        pendingIds = [...ids];
      } else if (signal?.signalName === decideSignal.name && signal.input?.payloads?.[0]) {
        const request = await decoded(context, signal.input.payloads[0]);
        arrivals.push({ request, eventId, at: eventTime(event), update: false });
      } else if (accepted?.name === decideUpdate.name && accepted.args?.payloads?.[0]) {
        const request = await decoded(context, accepted.args.payloads[0]);
        arrivals.push({ request, eventId, at: eventTime(event), update: true });
      } else if (completed?.outcome?.success?.payloads?.[0]) {
        const result = DecisionResult.safeParse(await decoded(context, completed.outcome.success.payloads[0]));
        if (result.data?.applied) appliedUpdates.add(Number(completed.acceptedEventId));
        if (result.data?.originalArguments)
          originals.set(Number(completed.acceptedEventId), result.data.originalArguments);
      } else if (event.workflowExecutionCancelRequestedEventAttributes) cancelRequested = true;
    }
  } catch (error) {
    if (error instanceof CodecError) return [];
    throw error;
  }

  const entry = (approvalId: string): Omit<UnchainedEntry, 'outcome' | 'eventId'> => {
    const { summary } = opened.get(approvalId)!;
    return {
      roundId,
      approvalId,
      requester: summary.requester,
      approvers: summary.approvers,
      allowSelfApproval: summary.allowSelfApproval,
      server: summary.server,
      tool: summary.tool,
      argsDigest: summary.argsDigest,
      openedAt: summary.openedAt,
      expiresAt: summary.expiresAt,
      ...(summary.reminders ? { reminders: summary.reminders.steps } : {}),
      ...policyField(summary, rechecks.get(approvalId)),
      ...(summary.preview
        ? {
            preview: {
              tool: summary.preview.tool,
              status: summary.preview.status,
              at: summary.preview.at,
              digest: summary.preview.digest,
            },
          }
        : {}),
    };
  };
  const candidatesFor = (approvalId: string, after: number, before: number) =>
    arrivals.filter(
      (arrival) =>
        arrival.eventId > after &&
        arrival.eventId < before &&
        (arrival.request as { approvalId?: unknown } | null)?.approvalId === approvalId,
    );
  const decided = closings.map((closing): UnchainedEntry => {
    const { summary, eventId: openEventId } = opened.get(closing.approvalId)!;
    const candidates = candidatesFor(closing.approvalId, openEventId, closing.eventId);
    const base = { ...entry(closing.approvalId), closedAt: closing.at };
    // Closed by `policy` (a re-check released or rejected it): no request to credit, the round's own word.
    const byPolicy = rechecks.get(closing.approvalId);
    const policyOutcome = byPolicy?.policy.outcome;
    if (policyOutcome === 'released' || policyOutcome === 'rejected') {
      const outcome = policyOutcome === 'released' ? 'approved' : 'rejected';
      return { ...base, ...quorumFields(summary, []), outcome, eventId: closing.eventId };
    }
    const { quorum } = summary;
    if (quorum) {
      const { counted, outcome } = quorumCount(candidates, { ...summary, quorum }, keys, appliedUpdates);
      const last = counted.at(-1);
      const decision = last && receivedDecision(last.request);
      const fields = { ...base, ...quorumFields(summary, counted) };
      if (outcome && last && decision) return { ...fields, outcome, decision, eventId: last.eventId };
      return { ...fields, outcome: closing.cancelRequested ? 'cancelled' : 'expired', eventId: closing.eventId };
    }
    // The round applies the first decision that passes its checks: an accepted update says so in its outcome.
    const applied =
      candidates.find((arrival) => arrival.update && appliedUpdates.has(arrival.eventId)) ??
      candidates.find((arrival) => !arrival.update && admissible(arrival, summary, keys));
    const decision = applied && receivedDecision(applied.request);
    if (applied && decision)
      return {
        ...base,
        outcome: decision.decision === 'approve' ? 'approved' : 'rejected',
        decision,
        ...(originals.has(applied.eventId) ? { originalArguments: originals.get(applied.eventId) } : {}),
        eventId: applied.eventId,
      };
    return { ...base, outcome: closing.cancelRequested ? 'cancelled' : 'expired', eventId: closing.eventId };
  });
  const closed = withGrants(decided, closings, grants);
  const pending = pendingIds.map((approvalId): UnchainedEntry => {
    const { summary, eventId } = opened.get(approvalId)!;
    // A quorum approval still open shows the decisions it counted so far.
    const counted = summary.quorum
      ? quorumCount(
          candidatesFor(approvalId, eventId, Infinity),
          { ...summary, quorum: summary.quorum },
          keys,
          appliedUpdates,
        ).counted
      : [];
    return { ...entry(approvalId), ...quorumFields(summary, counted), outcome: 'pending', eventId };
  });
  return chainEntries([...closed, ...pending]);
}

/**
 * The entries of approvals a grant approved, in the order they closed among the others, and on each approval
 * whose decision created a grant, which one. A round without grants keeps its entries as they were.
 */
function withGrants(decided: UnchainedEntry[], closings: Closing[], grants: GrantTrail): UnchainedEntry[] {
  const marked = decided.map((entry) => {
    const grantCreated = grants.created.get(entry.approvalId);
    return grantCreated ? { ...entry, grantCreated } : entry;
  });
  if (grants.granted.length === 0) return marked;
  const ordered = [...marked.map((entry, index) => ({ entry, eventId: closings[index]!.eventId })), ...grants.granted];
  return ordered.sort((a, b) => a.eventId - b.eventId).map(({ entry }) => entry);
}

/** The rounds that may hold entries for this caller and these filters. */
function roundCondition(context: ApiContext, principal: string, filter: AuditQuery): string {
  const conditions = [`WorkflowType = ${quoted(WORKFLOW_TYPE)}`];
  if (!context.access.seesAllApprovals(principal))
    conditions.push(
      `(${RequesterAttribute.name} = ${quoted(principal)} OR ${ApproversAttribute.name} IN (${quoted(principal)}, "*"))`,
    );
  if (filter.requester) conditions.push(`${RequesterAttribute.name} = ${quoted(filter.requester)}`);
  if (filter.approver) conditions.push(`${ApproversAttribute.name} IN (${quoted(filter.approver)}, "*")`);
  if (filter.until) conditions.push(`StartTime < ${quoted(new Date(filter.until).toISOString())}`);
  if (filter.since)
    conditions.push(`(ExecutionStatus = "Running" OR CloseTime >= ${quoted(new Date(filter.since).toISOString())})`);
  return conditions.join(' AND ');
}

/** The entries of one round `principal` reads, by the rules of every other route (api/access.ts). */
function readable(context: ApiContext, principal: string, entries: AuditEntry[]): AuditEntry[] {
  const scope = context.access.readScope(principal, {
    requester: entries[0]?.requester,
    approvers: [...new Set(entries.flatMap((entry) => entry.approvers))],
  });
  return scope ? entries.filter((entry) => context.access.seesApproval(principal, scope, entry)) : [];
}

function matches(entry: AuditEntry, filter: AuditQuery): boolean {
  const at = Date.parse(entry.closedAt ?? entry.openedAt);
  return (
    (!filter.approver ||
      entry.decision?.approver.id === filter.approver ||
      (entry.decisions ?? []).some((decision) => decision.approver.id === filter.approver)) &&
    (!filter.server || entry.server === filter.server) &&
    (!filter.tool || entry.tool === filter.tool) &&
    (!filter.outcome || entry.outcome === filter.outcome) &&
    (!filter.since || at >= Date.parse(filter.since)) &&
    (!filter.until || at < Date.parse(filter.until))
  );
}

/**
 * One page of `pageSize` rounds (newest first, as visibility lists them) and every entry of them the caller
 * may see: all of a round they requested (auditors and admins: every round), else the approvals they may decide.
 */
export async function auditPage(context: ApiContext, principal: string, filter: AuditQuery): Promise<AuditPage> {
  const nextPageToken = filter.pageToken === undefined ? undefined : decodePageToken(filter.pageToken);
  const response = await context.client.workflowService
    .listWorkflowExecutions({
      namespace: context.namespace,
      query: roundCondition(context, principal, filter),
      pageSize: filter.pageSize,
      nextPageToken,
    })
    .catch((error: unknown) => {
      if (nextPageToken && (isInvalidArgument(error) || isUnknownServerError(error))) throw invalidPageToken();
      throw error;
    });
  const entries: AuditEntry[] = [];
  for (const execution of response.executions ?? []) {
    const { workflowId, runId } = execution.execution ?? {};
    if (!workflowId || !runId) continue;
    const all = await roundEntries(context, workflowId, runId);
    entries.push(...readable(context, principal, all).filter((entry) => matches(entry, filter)));
  }
  const token = response.nextPageToken;
  return { entries, ...(token && token.length > 0 ? { nextPageToken: Buffer.from(token).toString('base64url') } : {}) };
}

/** Every page from `filter.pageToken` on, entry by entry: the NDJSON export. */
export async function* auditEntries(
  context: ApiContext,
  principal: string,
  filter: AuditQuery,
): AsyncGenerator<AuditEntry> {
  let pageToken = filter.pageToken;
  do {
    const page = await auditPage(context, principal, { ...filter, pageToken });
    yield* page.entries;
    pageToken = page.nextPageToken;
  } while (pageToken);
}

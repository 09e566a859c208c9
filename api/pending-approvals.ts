// Pending approvals across all rounds from ONE visibility list call per page: search attributes select the
// rounds the caller may see (requested, or may decide), their memo carries the summaries. No per-round query,
// no side database. A page may hold fewer approvals than pageSize: one round can hold approvals for others.
import {
  ApproversAttribute,
  Memo,
  RequesterAttribute,
  StatusAttribute,
  type ApprovalSummary,
} from '../workflows/contract.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import { ApiError } from '../runtime/api-error.ts';
import { CodecError, openPayload } from '../runtime/payload-codec.ts';
import type { Payload } from '@temporalio/common';
import type { ApiContext } from './api-context.ts';
import { isInvalidArgument, isUnknownServerError } from './temporal-errors.ts';

export interface PendingApprovalPage {
  approvals: ApprovalSummary[];
  nextPageToken?: string;
}

export interface ApprovalFilter {
  tool?: string;
  requester?: string;
  /** requested: approvals the caller asked for; decide: approvals the caller may decide. */
  mine?: 'requested' | 'decide';
  pageSize: number;
  pageToken?: string;
}

export function invalidPageToken(): ApiError {
  return new ApiError(400, 'invalid_page_token', 'pageToken is not a token this API returned');
}

/**
 * Page tokens are Temporal's visibility tokens (JSON), base64url-encoded. Anything else is refused here: the
 * server answers a malformed token with an internal error after many seconds, not with a clear refusal.
 */
export function decodePageToken(token: string): Buffer {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length === 0 || bytes.toString('base64url') !== token) throw invalidPageToken();
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return bytes;
  } catch {
    // not JSON: refused below
  }
  throw invalidPageToken();
}

export function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The visibility condition that selects the caller's rounds, and the check each summary must pass. */
function scope(context: ApiContext, principal: string, mine: ApprovalFilter['mine']) {
  const requested = `${RequesterAttribute.name} = ${quoted(principal)}`;
  const decidable = `${ApproversAttribute.name} IN (${quoted(principal)}, "*")`;
  switch (mine) {
    case 'requested':
      return { condition: requested, admits: (summary: ApprovalSummary) => summary.requester === principal };
    case 'decide':
      return { condition: decidable, admits: (summary: ApprovalSummary) => mayDecide(summary, principal).allowed };
    default:
      if (context.access.seesAllApprovals(principal)) return { condition: undefined, admits: () => true };
      return {
        condition: `(${requested} OR ${decidable})`,
        admits: (summary: ApprovalSummary) => context.access.mayListApproval(principal, summary),
      };
  }
}

/** The summaries a round's memo publishes; sealed by the payload codec when one is configured. */
async function pendingSummaries(context: ApiContext, payload: Payload | undefined): Promise<ApprovalSummary[]> {
  if (!payload) return [];
  try {
    return await openPayload<ApprovalSummary[]>(context.client.options.loadedDataConverter, payload);
  } catch (error) {
    // Sealed with a key this API does not hold: that round cannot be listed, the others still are.
    if (error instanceof CodecError) return [];
    throw error;
  }
}

export interface PendingTally {
  server: string;
  tool: string;
  count: number;
  /** When the first of them expires. */
  soonestExpiry: number;
}

/** Every pending approval of the namespace, tallied by server and tool, for the metrics; at most `maxRounds` rounds read. */
async function tallyPendingApprovals(context: ApiContext, maxRounds = 20_000): Promise<PendingTally[]> {
  const tallies = new Map<string, PendingTally>();
  let nextPageToken: Uint8Array | undefined;
  let read = 0;
  do {
    const response = await context.client.workflowService.listWorkflowExecutions({
      namespace: context.namespace,
      query: `ExecutionStatus = "Running" AND ${StatusAttribute.name} = "waiting_approval"`,
      pageSize: 1000,
      nextPageToken,
    });
    for (const execution of response.executions ?? []) {
      for (const summary of await pendingSummaries(context, execution.memo?.fields?.[Memo.pendingApprovals])) {
        const key = `${summary.server}/${summary.tool}`;
        const tally = tallies.get(key) ?? {
          server: summary.server,
          tool: summary.tool,
          count: 0,
          soonestExpiry: Infinity,
        };
        tally.count++;
        tally.soonestExpiry = Math.min(tally.soonestExpiry, Date.parse(summary.expiresAt));
        tallies.set(key, tally);
      }
    }
    read += response.executions?.length ?? 0;
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
  } while (nextPageToken && read < maxRounds);
  return [...tallies.values()];
}

/**
 * One tally reused for `ttlMs`: `/metrics` is public by default, and each tally may read thousands of rounds,
 * so scrapes (however many, from however many scrapers) never multiply visibility reads.
 */
export function pendingTallies(context: ApiContext, ttlMs = 15_000): () => Promise<PendingTally[]> {
  let last: { at: number; tallies: Promise<PendingTally[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > ttlMs) {
      // Without visibility the approval gauges are left out, not the whole scrape.
      last = { at: Date.now(), tallies: tallyPendingApprovals(context).catch(() => []) };
    }
    return last.tallies;
  };
}

export async function listPendingApprovals(
  context: ApiContext,
  principal: string,
  filter: ApprovalFilter,
): Promise<PendingApprovalPage> {
  const { condition, admits } = scope(context, principal, filter.mine);
  const conditions = ['ExecutionStatus = "Running"', `${StatusAttribute.name} = "waiting_approval"`];
  if (condition) conditions.push(condition);
  if (filter.requester) conditions.push(`${RequesterAttribute.name} = ${quoted(filter.requester)}`);
  const nextPageToken = filter.pageToken === undefined ? undefined : decodePageToken(filter.pageToken);
  const response = await context.client.workflowService
    .listWorkflowExecutions({
      namespace: context.namespace,
      query: conditions.join(' AND '),
      pageSize: filter.pageSize,
      nextPageToken,
    })
    .catch((error: unknown) => {
      // A token that parses but that the server cannot use fails inside Temporal: still the client's input.
      if (nextPageToken && (isInvalidArgument(error) || isUnknownServerError(error))) throw invalidPageToken();
      throw error;
    });
  const approvals: ApprovalSummary[] = [];
  for (const execution of response.executions ?? []) {
    for (const summary of await pendingSummaries(context, execution.memo?.fields?.[Memo.pendingApprovals])) {
      if ((!filter.tool || summary.tool === filter.tool) && admits(summary)) approvals.push(summary);
    }
  }
  const token = response.nextPageToken;
  return {
    approvals,
    ...(token && token.length > 0 ? { nextPageToken: Buffer.from(token).toString('base64url') } : {}),
  };
}

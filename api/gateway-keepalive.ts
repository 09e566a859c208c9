// What a waiting gateway call tells its client, and how often (docs/gateway.md, "While a call waits"). The SDK
// client gives up on a request after its timeout (60 s by default) unless progress notifications keep resetting
// it: while a task-less tools/call waits, the client is told every `api.gateway.keepAlive` what the call waits
// for, read afresh from the round (its memo), so a repeated notice is never stale and any replica can send it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressToken, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';
import { describeRound } from './round-facts.ts';

/** Something the client is told while its call waits: the approval it waits for, or that it runs. */
export interface ProgressNotice {
  roundId: string;
  message: string;
  links: { round: string; approval?: string };
  approvalId?: string;
  approvers?: string[];
  expiresAt?: string;
}

export interface ApprovalLinks {
  round: string;
  approval: string;
}

/** An approval the call waits for, as its client is told: the id, who must decide, until when, and where. */
export function waitNotice(
  context: ApiContext,
  roundId: string,
  approval: Pick<ApprovalSummary, 'approvalId' | 'server' | 'tool' | 'approvers' | 'expiresAt'>,
  again = false,
): Required<ProgressNotice> & { links: ApprovalLinks } {
  const links = roundLinks(context, roundId);
  const approvalLink = `${context.links.apiUrl}/v1/approvals/${encodeURIComponent(approval.approvalId)}`;
  return {
    roundId,
    approvalId: approval.approvalId,
    approvers: approval.approvers,
    expiresAt: approval.expiresAt,
    message:
      `${again ? 'Still waiting' : 'Waiting'} for approval ${approval.approvalId} of ${approval.server}/${approval.tool} by one of ` +
      `${approval.approvers.join(', ') || 'the configured approvers'} (until ${approval.expiresAt}): ${approvalLink}`,
    links: { ...links, approval: approvalLink },
  };
}

function roundLinks(context: ApiContext, roundId: string): { round: string } {
  return { round: `${context.links.apiUrl}/v1/rounds/${encodeURIComponent(roundId)}` };
}

/** What the round waits for now, from its memo (no worker needed); undefined once it has closed or is gone. */
export async function currentNotice(context: ApiContext, roundId: string): Promise<ProgressNotice | undefined> {
  const facts = await describeRound(context, roundId);
  if (!facts || facts.executionStatus !== 'running') return undefined;
  const waiting = facts.pending[0];
  if (waiting) return waitNotice(context, roundId, waiting, true);
  return { roundId, message: `Round ${roundId} is running the call`, links: roundLinks(context, roundId) };
}

/**
 * A call's progress notifications: numbered from `after` + 1 (a resumed stream goes on from the count its event id
 * carries), each with the notice's fields in `_meta`.
 */
export class CallProgress {
  private count: number;
  private readonly token: ProgressToken;
  private readonly send: (notification: ServerNotification) => Promise<void>;

  constructor(token: ProgressToken, send: (notification: ServerNotification) => Promise<void>, after = 0) {
    this.token = token;
    this.send = send;
    this.count = after;
  }

  notify = (notice: ProgressNotice): Promise<void> =>
    this.send({
      method: 'notifications/progress',
      params: {
        progressToken: this.token,
        progress: ++this.count,
        message: notice.message,
        _meta: {
          'toolgate/roundId': notice.roundId,
          ...(notice.approvalId ? { 'toolgate/approvalId': notice.approvalId } : {}),
          ...(notice.approvers ? { 'toolgate/approvers': notice.approvers } : {}),
          ...(notice.expiresAt ? { 'toolgate/expiresAt': notice.expiresAt } : {}),
          'toolgate/links': notice.links,
        },
      },
    });
}

/**
 * Every `everyMs` until `signal` aborts or the round closes, tells `notify` what the round waits for now. A failed
 * read or send ends it quietly: keep-alive is a courtesy, the call's result does not depend on it.
 */
export async function keepAlive(
  context: ApiContext,
  roundId: string,
  notify: (notice: ProgressNotice) => Promise<void>,
  everyMs: number,
  signal: AbortSignal,
): Promise<void> {
  try {
    for (;;) {
      await sleep(everyMs, undefined, { signal });
      const notice = await currentNotice(context, roundId);
      if (!notice || signal.aborted) return;
      await notify(notice);
    }
  } catch {
    // Aborted (the call settled or its client left), or the round could not be read.
  }
}

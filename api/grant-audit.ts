// Remembered grants in the audit trail, from the round's history like the rest of it: the `findGrant` activity
// that answered with a grant approved a call no person was asked about (an entry of its own), and the
// `createGrant` activity that answered with a grant says which approval it remembers.
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { grantApproverId, type Grant, type GrantLookup, type GrantOrder } from '../workflows/contract.ts';
import type { UnchainedEntry } from '../runtime/audit.ts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Decode = <T>(payload: Payload) => Promise<T>;

interface Scheduled {
  type: 'findGrant' | 'createGrant';
  input: Payload;
}

export class GrantTrail {
  private readonly roundId: string;
  private readonly scheduled = new Map<number, Scheduled>();
  /** Approvals a grant approved, with the history event that answered and its time. */
  readonly granted: Array<{ entry: UnchainedEntry; eventId: number }> = [];
  /** The grant each remembered approval created. */
  readonly created = new Map<string, string>();

  constructor(roundId: string) {
    this.roundId = roundId;
  }

  /** Takes the event when it belongs to the trail; false otherwise. */
  async take(event: HistoryEvent, eventId: number, at: string, decode: Decode): Promise<boolean> {
    const scheduled = event.activityTaskScheduledEventAttributes;
    const type = scheduled?.activityType?.name;
    if ((type === 'findGrant' || type === 'createGrant') && scheduled?.input?.payloads?.[0]) {
      this.scheduled.set(eventId, { type, input: scheduled.input.payloads[0] });
      return true;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const asked = completed && this.scheduled.get(Number(completed.scheduledEventId));
    if (!asked) return false;
    const result = completed.result?.payloads?.[0];
    const grant = result ? await decode<Grant | null>(result) : null;
    if (!grant) return true;
    if (asked.type === 'createGrant') {
      this.created.set((await decode<GrantOrder>(asked.input)).fromApproval, grant.grantId);
      return true;
    }
    const call = await decode<GrantLookup>(asked.input);
    this.granted.push({ entry: grantedEntry(this.roundId, call, grant, at, eventId), eventId });
    return true;
  }
}

function grantedEntry(roundId: string, call: GrantLookup, grant: Grant, at: string, eventId: number): UnchainedEntry {
  return {
    roundId,
    approvalId: call.approvalId,
    requester: call.requester,
    // Nobody was asked: the grant decided, on the word of the approver who made it.
    approvers: [],
    allowSelfApproval: false,
    server: call.server,
    tool: call.tool,
    argsDigest: call.argsDigest,
    openedAt: at,
    expiresAt: at,
    outcome: 'approved',
    decision: {
      decision: 'approve',
      approver: { id: grantApproverId(grant.grantId), channel: 'grant' },
      reason: `approved by grant ${grant.grantId} (from ${grant.createdBy.id}'s decision of ${grant.fromApproval})`,
    },
    grant: { grantId: grant.grantId, grantedBy: grant.createdBy, fromApproval: grant.fromApproval },
    closedAt: at,
    eventId,
  };
}

// The approvals of one round: opened by the round loop, closed by the first valid decision, by the
// approval timer or by cancellation. Shared by the `decide` signal and the `decide` update.
import { ApplicationFailure, condition } from '@temporalio/workflow';
import {
  FailureType,
  type ApprovalRecord,
  type ApprovalStatus,
  type DecisionRequest,
  type DecisionResult,
} from './contract.ts';
import { mayDecide } from './policy.ts';

export interface Refusal {
  type: FailureType;
  message: string;
}

const CHANNELS = new Set(['http', 'slack', 'cli']);
const MAX_REASON_CHARS = 2000;
/** Ignored decisions are kept for audit, but a flood of them must not grow the round's state without end. */
const MAX_IGNORED = 50;

function malformed(request: DecisionRequest): string | undefined {
  if (typeof request !== 'object' || request === null) return 'decision is not an object';
  if (typeof request.approvalId !== 'string') return 'approvalId is missing';
  if (request.decision !== 'approve' && request.decision !== 'reject') return 'decision must be approve or reject';
  if (typeof request.approver?.id !== 'string' || request.approver.id === '') return 'approver.id is missing';
  if (!CHANNELS.has(request.approver.channel)) return 'approver.channel must be http, slack or cli';
  if (request.reason !== undefined && typeof request.reason !== 'string') return 'reason must be a string';
  if ((request.reason?.length ?? 0) > MAX_REASON_CHARS) return `reason is longer than ${MAX_REASON_CHARS} characters`;
  if (request.argsDigest !== undefined && typeof request.argsDigest !== 'string') return 'argsDigest must be a string';
  if (request.receivedAt !== undefined && Number.isNaN(Date.parse(String(request.receivedAt)))) return 'receivedAt must be an ISO time';
  return undefined;
}

/** When the decision was made: as stamped by the API (a queued decision waits for a worker), else now. */
function decidedAt(request: DecisionRequest, approval: ApprovalRecord): string {
  if (request.receivedAt === undefined) return new Date().toISOString();
  return new Date(Math.max(Date.parse(request.receivedAt), Date.parse(approval.openedAt))).toISOString();
}

export class ApprovalBook {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly onChange: () => void;

  constructor(onChange: () => void) {
    this.onChange = onChange;
  }

  open(record: Omit<ApprovalRecord, 'status' | 'ignored' | 'notification'>): ApprovalRecord {
    const opened: ApprovalRecord = { ...record, status: 'pending', ignored: [] };
    this.records.set(opened.approvalId, opened);
    this.onChange();
    return opened;
  }

  /** Why a decision would not be applied now, or undefined when it would. */
  check(request: DecisionRequest): Refusal | undefined {
    const shapeError = malformed(request);
    if (shapeError) return { type: FailureType.InvalidDecision, message: `Malformed decision: ${shapeError}` };
    const record = this.records.get(request.approvalId);
    if (!record) return { type: FailureType.ApprovalNotFound, message: `Approval ${request.approvalId} not found` };
    if (record.status !== 'pending') {
      const by = record.decision ? ` by ${record.decision.approver.id} (${record.decision.approver.channel})` : '';
      return { type: FailureType.ApprovalClosed, message: `Approval ${record.approvalId} is already ${record.status}${by}` };
    }
    // Made after the approval expired, it is refused even if the round has not yet seen its timer fire.
    const madeAt = request.receivedAt === undefined ? Date.now() : Date.parse(request.receivedAt);
    if (madeAt >= Date.parse(record.expiresAt)) {
      return { type: FailureType.ApprovalClosed, message: `Approval ${record.approvalId} expired at ${record.expiresAt}, before this decision` };
    }
    if (request.argsDigest !== undefined && request.argsDigest !== record.argsDigest) {
      return {
        type: FailureType.DigestMismatch,
        message: `Approval ${record.approvalId} is for other arguments (digest ${record.argsDigest})`,
      };
    }
    const permission = mayDecide(record, request.approver.id);
    if (!permission.allowed) return { type: FailureType.NotAnApprover, message: permission.why };
    return undefined;
  }

  /** Update validator: refuses before the update enters history. */
  validate(request: DecisionRequest): void {
    const refusal = this.check(request);
    if (refusal) {
      const record = this.records.get(request?.approvalId);
      throw ApplicationFailure.create({
        type: refusal.type,
        message: refusal.message,
        nonRetryable: true,
        details: record ? [{ status: record.status, decision: record.decision }] : [],
      });
    }
  }

  /** First valid decision wins; anything else is kept on the record as ignored, never applied. */
  decide(request: DecisionRequest): DecisionResult {
    const refusal = this.check(request);
    const record = this.records.get(request?.approvalId);
    if (refusal) {
      if (record && record.ignored.length < MAX_IGNORED) {
        record.ignored.push({ request, receivedAt: new Date().toISOString(), why: refusal.message });
      }
      return { approvalId: String(request?.approvalId), status: record?.status ?? 'pending', decision: record?.decision, applied: false };
    }
    const approval = record!;
    approval.status = request.decision === 'approve' ? 'approved' : 'rejected';
    approval.closedAt = new Date().toISOString();
    approval.decision = {
      decision: request.decision,
      approver: { id: request.approver.id, channel: request.approver.channel },
      reason: request.reason,
      argsDigest: approval.argsDigest,
      decidedAt: decidedAt(request, approval),
    };
    this.onChange();
    return { approvalId: approval.approvalId, status: approval.status, decision: approval.decision, applied: true };
  }

  /** Races the decision against the durable approval timer; the timer fires even while no worker runs. */
  async waitForDecision(record: ApprovalRecord, timeoutMs: number): Promise<ApprovalStatus> {
    const decided = await condition(() => record.status !== 'pending', timeoutMs, {
      summary: `approval ${record.approvalId} (${record.server}/${record.tool})`,
    });
    // A decision applied in the same workflow task as the timer fired was made first: it stands.
    if (!decided && record.status === 'pending') this.close(record, 'expired');
    return record.status;
  }

  cancelPending(): ApprovalRecord[] {
    const pending = this.pending();
    for (const record of pending) this.close(record, 'cancelled');
    return pending;
  }

  pending(): ApprovalRecord[] {
    return this.all().filter((record) => record.status === 'pending');
  }

  all(): ApprovalRecord[] {
    return [...this.records.values()];
  }

  /** An approval closes exactly once; an expired one closed when its time ran out, whenever the round noticed. */
  private close(record: ApprovalRecord, status: 'expired' | 'cancelled'): void {
    if (record.status !== 'pending') return;
    record.status = status;
    record.closedAt = status === 'expired' ? record.expiresAt : new Date().toISOString();
    this.onChange();
  }
}

// The approvals of one round: opened by the round loop, closed exactly once by the first valid decision (a
// quorum approval: by the decision that completes or defeats its quorum), by the approval timer or by cancellation. Shared by the `decide` signal and the `decide` update. Records are
// replaced, never mutated, so every status carries exactly the fields it may have.
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { isPatched } from './round-patches.ts';
// Values from the contract's own modules, not its barrel: each cached round loads only what it needs.
import type { ApprovalRecord, NotificationRef, PendingApproval, ToolDescriptor } from './contract.ts';
import type { ApprovalPolicyTrail } from './contract/policy-follow.ts';
import type { DecisionRecord, DecisionRequest, DecisionResult } from './contract/decisions.ts';
import type { SigningPublicKey } from './contract/signatures.ts';
import { decisionProblems } from './input-checks.ts';
import { FailureType } from './contract/failures.ts';
import { mayDecide } from './shared/decide-rights.ts';
import { quorumOutcome, quorumRefusal, quorumState } from './shared/quorum.ts';
import { decisionSigningText, signatureProblem } from './shared/signatures.ts';
import { DecisionSignatures } from './decision-signatures.ts';
import { rememberRefusal } from './grants/remember-terms.ts';
import { displayTool } from './shared/display-name.ts';
import { approvalClosed } from './round-metrics.ts';
import { EDIT_PATCH, editRefusal } from './approval-edit.ts';

export interface Refusal {
  type: FailureType;
  message: string;
  /** A refused edit: each thing wrong with it. */
  reasons?: string[];
}

/** Ignored decisions are kept for audit, but a flood of them must not grow the round's state without end. */
const MAX_IGNORED = 50;

function malformed(request: unknown): string | undefined {
  const problems = decisionProblems(request);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** When the decision was made: as stamped by the API (a queued decision waits for a worker), else now. */
function decidedAt(request: DecisionRequest, approval: ApprovalRecord): string {
  if (request.receivedAt === undefined) return new Date().toISOString();
  return new Date(Math.max(Date.parse(request.receivedAt), Date.parse(approval.openedAt))).toISOString();
}

export class ApprovalBook {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly onChange: () => void;
  /** A quorum approval counted a decision and still waits (the round emits `approval_counted`). */
  private readonly onCounted: (record: PendingApproval, decision: DecisionRecord) => void;
  /** The signed decisions that asked to remember, as applied: a grant carries its own as proof. */
  private readonly remembered = new Map<string, DecisionRequest>();
  /** Set once the round loaded its keys (patch `signed-decisions`): from then on only signed decisions count. */
  private keys: readonly SigningPublicKey[] | undefined;
  private signatures: DecisionSignatures | undefined;
  /** The tool of each approval opened in this run, against which an edit is checked (not part of the record). */
  private readonly tools = new Map<string, ToolDescriptor>();

  constructor(
    onChange: () => void,
    onCounted: (record: PendingApproval, decision: DecisionRecord) => void = () => undefined,
  ) {
    this.onChange = onChange;
    this.onCounted = onCounted;
  }

  open(
    fields: Omit<PendingApproval, 'status' | 'ignored' | 'notification' | 'decision' | 'closedAt'>,
  ): PendingApproval {
    const opened: PendingApproval = { ...fields, status: 'pending', ignored: [] };
    this.records.set(opened.approvalId, opened);
    this.onChange();
    return opened;
  }

  /** Only decisions signed by one of these keys apply from now on (approver, channel and time are the API's word). */
  requireSignatures(keys: readonly SigningPublicKey[]): void {
    this.keys = keys;
    this.signatures = new DecisionSignatures(keys);
  }

  /** The tool an approval is for: without it, the approval takes no edits. */
  describeTool(approvalId: string, tool: ToolDescriptor): void {
    this.tools.set(approvalId, tool);
  }

  get(approvalId: string): ApprovalRecord | undefined {
    return this.records.get(approvalId);
  }

  /** Why a decision would not be applied now, or undefined when it would. */
  check(request: unknown): Refusal | undefined {
    const shapeError = malformed(request);
    if (shapeError) return { type: FailureType.InvalidDecision, message: `Malformed decision: ${shapeError}` };
    const valid = request as DecisionRequest;
    const unsigned = this.signatures?.problem(valid);
    if (unsigned) return { type: FailureType.UnsignedDecision, message: `Decision refused: ${unsigned}` };
    const record = this.records.get(valid.approvalId);
    if (!record) return { type: FailureType.ApprovalNotFound, message: `Approval ${valid.approvalId} not found` };
    if (record.status !== 'pending') {
      const by = record.decision ? ` by ${record.decision.approver.id} (${record.decision.approver.channel})` : '';
      return {
        type: FailureType.ApprovalClosed,
        message: `Approval ${record.approvalId} is already ${record.status}${by}`,
      };
    }
    // Made after the approval expired, it is refused even if the round has not yet seen its timer fire.
    const madeAt = valid.receivedAt === undefined ? Date.now() : Date.parse(valid.receivedAt);
    if (madeAt >= Date.parse(record.expiresAt)) {
      return {
        type: FailureType.ApprovalClosed,
        message: `Approval ${record.approvalId} expired at ${record.expiresAt}, before this decision`,
      };
    }
    if (valid.argsDigest !== undefined && valid.argsDigest !== record.argsDigest) {
      return {
        type: FailureType.DigestMismatch,
        message: `Approval ${record.approvalId} is for other arguments (digest ${record.argsDigest})`,
      };
    }
    if (valid.previewDigest !== undefined && valid.previewDigest !== record.previewDigest) {
      return {
        type: FailureType.PreviewMismatch,
        message: `Approval ${record.approvalId} was previewed otherwise (${record.previewDigest ? `preview digest ${record.previewDigest}` : 'it has no preview'})`,
      };
    }
    const permission = mayDecide(record, valid.approver.id);
    if (!permission.allowed) return { type: FailureType.NotAnApprover, message: permission.why };
    const uncounted = record.quorum && quorumRefusal(record.quorum, valid.approver.id);
    if (uncounted) {
      const type = uncounted.reason === 'already_decided' ? FailureType.AlreadyDecided : FailureType.DecisionNotNeeded;
      return { type, message: `Approval ${record.approvalId}: ${uncounted.why}` };
    }
    const edit =
      valid.arguments !== undefined
        ? editRefusal(record, this.tools.get(record.approvalId), { ...valid, arguments: valid.arguments })
        : undefined;
    return edit ?? rememberRefusal(record, valid);
  }

  /** Update validator: refuses before the update enters history. */
  validate(request: unknown): void {
    const refusal = this.check(request);
    if (!refusal) return;
    const record = this.records.get((request as Partial<DecisionRequest> | null)?.approvalId ?? '');
    throw ApplicationFailure.create({
      type: refusal.type,
      message: refusal.message,
      nonRetryable: true,
      details: record
        ? [
            {
              status: record.status,
              decision: record.decision,
              ...(refusal.reasons ? { reasons: refusal.reasons } : {}),
            },
          ]
        : [],
    });
  }

  /** First valid decision wins; anything else is kept on the record as ignored, never applied. */
  decide(request: unknown): DecisionResult {
    const refusal = this.check(request);
    const approvalId = String((request as Partial<DecisionRequest> | null)?.approvalId);
    const record = this.records.get(approvalId);
    if (refusal || record?.status !== 'pending') {
      if (record && record.ignored.length < MAX_IGNORED) {
        const ignored = { request, receivedAt: new Date().toISOString(), why: refusal?.message ?? 'not pending' };
        this.records.set(approvalId, { ...record, ignored: [...record.ignored, ignored] });
      }
      return { approvalId, status: record?.status ?? 'pending', decision: record?.decision, applied: false };
    }
    const valid = request as DecisionRequest;
    // An "edit" that changes nothing is a plain approval.
    const edited =
      valid.arguments !== undefined && valid.editedArgsDigest !== record.argsDigest && isPatched(EDIT_PATCH)
        ? { editedArguments: valid.arguments, editedArgsDigest: valid.editedArgsDigest }
        : {};
    const decision: DecisionRecord = {
      decision: valid.decision,
      approver: { id: valid.approver.id, channel: valid.approver.channel },
      reason: valid.reason,
      argsDigest: record.argsDigest,
      ...(valid.previewDigest === undefined ? {} : { previewDigest: valid.previewDigest }),
      decidedAt: decidedAt(valid, record),
      ...edited,
      ...(valid.remember ? { remember: valid.remember } : {}),
    };
    if (valid.remember) this.remembered.set(approvalId, valid);
    let base: PendingApproval = record;
    let outcome: 'approved' | 'rejected' = valid.decision === 'approve' ? 'approved' : 'rejected';
    if (record.quorum) {
      const counted = this.counted(record, decision);
      if (!counted.outcome) {
        this.records.set(approvalId, counted.record);
        this.onCounted(counted.record, decision);
        this.onChange();
        return { approvalId, status: 'pending', decision, applied: true, quorum: counted.record.quorum };
      }
      ({ record: base, outcome } = counted);
    }
    const closedAt = new Date().toISOString();
    const decided: ApprovalRecord =
      outcome === 'approved'
        ? { ...base, status: 'approved', decision, closedAt }
        : { ...base, status: 'rejected', decision, closedAt };
    this.records.set(approvalId, decided);
    approvalClosed(decided);
    this.onChange();
    return {
      approvalId,
      status: decided.status,
      decision,
      applied: true,
      ...(decided.quorum ? { quorum: decided.quorum } : {}),
      ...(decision.editedArguments ? { originalArguments: decided.arguments } : {}),
    };
  }

  /**
   * A quorum approval with this decision counted, and how it closes: undefined while it still waits for people.
   * The requester (unless self-approval is allowed) is not counted on to defeat or complete a quorum.
   */
  private counted(
    record: PendingApproval,
    decision: DecisionRecord,
  ): { record: PendingApproval; outcome: 'approved' | 'rejected' | undefined } {
    const decisions = [...(record.decisions ?? []), decision];
    const votes = decisions.map((counted) => ({ approver: counted.approver.id, decision: counted.decision }));
    const quorum = quorumState(record.quorum!, votes);
    const outcome = quorumOutcome(quorum, (principal) => mayDecide(record, principal).allowed);
    return { record: { ...record, quorum, decisions }, outcome };
  }

  /** The signed decision that asked to remember this approval, as the round applied it. */
  rememberedBy(approvalId: string): DecisionRequest | undefined {
    return this.remembered.get(approvalId);
  }

  /** Whether a decision (a grant's proof) carries a valid signature of a key this round loaded. */
  signedByKnownKey(request: DecisionRequest): boolean {
    return (
      this.keys !== undefined &&
      signatureProblem(decisionSigningText(request), request.signature, this.keys) === undefined
    );
  }

  /** An approval no person is asked: a remembered grant approved it (recorded as such, closed at once). */
  approveByGrant(
    fields: Omit<PendingApproval, 'status' | 'ignored' | 'notification' | 'decision' | 'closedAt'>,
    decision: DecisionRecord,
  ): ApprovalRecord {
    const approved: ApprovalRecord = {
      ...fields,
      status: 'approved',
      ignored: [],
      decision,
      closedAt: decision.decidedAt,
    };
    this.records.set(approved.approvalId, approved);
    approvalClosed(approved);
    this.onChange();
    return approved;
  }

  /** Races the decision against the durable approval timer; the timer fires even while no worker runs. */
  async waitForDecision(approval: PendingApproval, timeoutMs: number): Promise<ApprovalRecord> {
    const current = () => this.records.get(approval.approvalId)!;
    const decided = await condition(() => current().status !== 'pending', timeoutMs, {
      summary: `approval ${approval.approvalId} (${displayTool(approval.server, approval.tool)})`,
    });
    // A decision applied in the same workflow task as the timer fired was made first: it stands.
    if (!decided) this.close(approval.approvalId, 'expired');
    return current();
  }

  /** Closes every pending approval as cancelled and returns the closed records. */
  cancelPending(): ApprovalRecord[] {
    return this.pending().flatMap((record) => this.close(record.approvalId, 'cancelled') ?? []);
  }

  /**
   * Changes a pending approval's record (a reminder step grows its approvers or moves its expiry; a policy re-check
   * re-addresses it or notes what it found); undefined when it is no longer pending: a decision that closed it first stands.
   */
  amend(approvalId: string, change: (record: PendingApproval) => PendingApproval): PendingApproval | undefined {
    const record = this.records.get(approvalId);
    if (record?.status !== 'pending') return undefined;
    const amended = change(record);
    this.records.set(approvalId, amended);
    this.onChange();
    return amended;
  }

  /** Closes a pending approval with a decision of `policy` (patch policy-follow); a human decision landed first wins. */
  closeByPolicy(approvalId: string, decision: DecisionRecord, policy: ApprovalPolicyTrail): ApprovalRecord | undefined {
    const record = this.records.get(approvalId);
    if (record?.status !== 'pending') return undefined;
    const closedAt = new Date().toISOString();
    const closed: ApprovalRecord =
      decision.decision === 'approve'
        ? { ...record, policy, status: 'approved', decision, closedAt }
        : { ...record, policy, status: 'rejected', decision, closedAt };
    this.records.set(approvalId, closed);
    approvalClosed(closed);
    this.onChange();
    return closed;
  }

  attachNotification(approvalId: string, notification: NotificationRef): void {
    const record = this.records.get(approvalId);
    if (record) this.records.set(approvalId, { ...record, notification });
  }

  pending(): PendingApproval[] {
    return this.all().filter((record): record is PendingApproval => record.status === 'pending');
  }

  all(): ApprovalRecord[] {
    return [...this.records.values()];
  }

  /** An approval closes exactly once; an expired one closed when its time ran out, whenever the round noticed. */
  private close(approvalId: string, status: 'expired' | 'cancelled'): ApprovalRecord | undefined {
    const record = this.records.get(approvalId);
    if (record?.status !== 'pending') return undefined;
    const closed: ApprovalRecord = {
      ...record,
      status,
      closedAt: status === 'expired' ? record.expiresAt : new Date().toISOString(),
    };
    this.records.set(approvalId, closed);
    approvalClosed(closed);
    this.onChange();
    return closed;
  }
}

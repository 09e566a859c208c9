// Pending approvals follow policy: on a `policyChanged` nudge the round asks an activity for its tools' current
// policies (the nudge itself carries nothing anyone could forge) and re-checks every pending approval against
// them: released, re-addressed, rejected, or only recorded as re-checked. Nudges that arrive while a re-check
// runs fold into one more; one that finds nothing new changes nothing, so duplicate nudges are harmless.
import { ActivityFailure, isCancellation, log, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { isPatched } from './round-patches.ts';
import type {
  ApprovalPolicyTrail,
  CurrentPolicies,
  CurrentTool,
  DecisionRecord,
  PendingApproval,
  ToolDescriptor,
  ToolPolicy,
  ToolgateActivities,
} from './contract.ts';
import { canonicalJson } from './canonical-json.ts';
import { requiresApproval } from './policy.ts';
import { mayDecide } from './shared/decide-rights.ts';
import { quorumOutcome, quorumState } from './shared/quorum.ts';
import type { RoundContext } from './round-context.ts';

/**
 * Since this patch, a round re-checks its pending approvals when nudged. Asked only when a nudge finds a pending
 * approval, so rounds that never get one replay exactly as before.
 */
export const POLICY_FOLLOW_PATCH = 'policy-follow';

/** Who decides a pending approval, as the record and the policy both spell it. */
const POLICY = { id: 'policy', channel: 'policy' } as const;

const activityOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '15 seconds',
  retry: { maximumAttempts: 3 },
};
const { currentPolicies } = proxyActivities<ToolgateActivities>(activityOptions);

/** What a re-check does to one pending approval. */
export type RecheckPlan =
  | { outcome: 'unchanged' | 'loosened'; note?: string }
  | { outcome: 'readdressed'; record: PendingApproval; note?: string }
  | { outcome: 'released' | 'rejected'; reason: string; note?: string };

function deciders(policy: Pick<ToolPolicy, 'approvers' | 'allowSelfApproval' | 'quorum'>): string {
  return canonicalJson({
    approvers: [...policy.approvers].sort(),
    allowSelfApproval: policy.allowSelfApproval,
    quorum: policy.quorum ?? null,
  });
}

/** The approval addressed to the people the new policy names; counted votes of anyone else are dropped. */
function readdressed(record: PendingApproval, policy: ToolPolicy, fingerprint: string, release: boolean): RecheckPlan {
  const addressed = { ...record, approvers: policy.approvers, allowSelfApproval: policy.allowSelfApproval };
  const allowed = (principal: string) => mayDecide(addressed, principal).allowed;
  const previous = record.decisions ?? [];
  const kept = policy.quorum ? previous.filter((decision) => allowed(decision.approver.id)) : [];
  const dropped = previous.filter((decision) => !kept.includes(decision));
  const note = dropped.length
    ? `votes of ${dropped.map((decision) => decision.approver.id).join(', ')} dropped: no longer counted by the policy`
    : undefined;
  if (!policy.quorum) {
    const { quorum: _quorum, decisions: _decisions, ...single } = addressed;
    return { outcome: 'readdressed', record: single, ...(note ? { note } : {}) };
  }
  const quorum = quorumState(
    policy.quorum,
    kept.map((decision) => ({ approver: decision.approver.id, decision: decision.decision })),
  );
  const closes = quorumOutcome(quorum, allowed);
  if (closes === 'rejected')
    return { outcome: 'rejected', reason: `the quorum can no longer be met under configuration ${fingerprint}`, note };
  if (closes === 'approved' && release)
    return { outcome: 'released', reason: `the quorum is met under configuration ${fingerprint}`, note };
  return { outcome: 'readdressed', record: { ...addressed, quorum, decisions: kept }, ...(note ? { note } : {}) };
}

/** Pure: what the current policy means for one pending approval of a call with these (unredacted) arguments. */
export function planRecheck(
  record: PendingApproval,
  args: Record<string, unknown>,
  current: Extract<CurrentTool, { status: 'offered' | 'gone' }>,
  answer: Pick<CurrentPolicies, 'configFingerprint' | 'releaseWhenLoosened'>,
): RecheckPlan {
  const fingerprint = answer.configFingerprint;
  if (current.status === 'gone')
    return { outcome: 'rejected', reason: `tool no longer offered by configuration ${fingerprint} (${current.why})` };
  const tool: ToolDescriptor = current.descriptor;
  if (!requiresApproval(tool, args)) {
    if (answer.releaseWhenLoosened) return { outcome: 'released', reason: 'policy no longer requires approval' };
    return {
      outcome: 'loosened',
      note: `configuration ${fingerprint} no longer requires approval; it keeps waiting (approvals.recheck.releaseWhenLoosened is off)`,
    };
  }
  const before = { approvers: record.approvers, allowSelfApproval: record.allowSelfApproval, quorum: record.quorum };
  if (deciders(before) === deciders(tool.policy)) return { outcome: 'unchanged' };
  return readdressed(record, tool.policy, fingerprint, answer.releaseWhenLoosened);
}

export class PolicyFollow {
  private readonly round: RoundContext;
  /** The unredacted arguments of each gated call: the record holds them as people see them (secrets redacted). */
  private readonly calls = new Map<string, Record<string, unknown>>();
  private wanted = 0;
  private running = false;

  constructor(round: RoundContext) {
    this.round = round;
  }

  track(approvalId: string, args: Record<string, unknown>): void {
    this.calls.set(approvalId, args);
  }

  /** The `policyChanged` signal: its payload, whatever it is, is never read. */
  nudge(): void {
    if (this.round.book.pending().length === 0) return;
    if (!isPatched(POLICY_FOLLOW_PATCH)) return;
    this.wanted++;
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      let done = 0;
      while (done < this.wanted) {
        const target = this.wanted;
        await this.recheck();
        done = target;
      }
    } catch (error) {
      if (!(error instanceof ActivityFailure) && !isCancellation(error)) throw error;
      // Nothing is concluded without the worker's answer: approvals keep waiting as they are.
      log.warn('policy re-check failed; approvals unchanged', { error: (error as Error).message });
    } finally {
      this.wanted = 0;
      this.running = false;
    }
  }

  private async recheck(): Promise<void> {
    const pending = this.round.book.pending();
    if (pending.length === 0) return;
    const tools = [...new Map(pending.map((a) => [`${a.server}\u0000${a.tool}`, { server: a.server, tool: a.tool }]))];
    const answer = await currentPolicies.executeWithOptions({ ...activityOptions, summary: 'current policies' }, [
      { tools: tools.map(([, entry]) => entry) },
    ]);
    // Approvals decided while the activity ran are closed already: the book closes each once.
    for (const record of this.round.book.pending()) {
      const current = answer.tools.find((entry) => entry.server === record.server && entry.tool === record.tool);
      const args = this.calls.get(record.approvalId);
      if (!current || current.status === 'unknown' || !args) continue;
      // Already under this configuration (started or re-checked on it): a duplicate or forged nudge ends here.
      if ((record.policy?.recheckedOn ?? record.policy?.startedOn) === answer.configFingerprint) continue;
      this.apply(record, planRecheck(record, args, current, answer), answer.configFingerprint);
    }
  }

  private apply(record: PendingApproval, plan: RecheckPlan, fingerprint: string): void {
    const { round } = this;
    const note = plan.note ?? ('reason' in plan ? plan.reason : undefined);
    const trail: ApprovalPolicyTrail = {
      ...(record.policy?.startedOn ? { startedOn: record.policy.startedOn } : {}),
      recheckedOn: fingerprint,
      outcome: plan.outcome,
      ...(note ? { note } : {}),
    };
    const event = {
      type: 'approval_rechecked',
      approvalId: record.approvalId,
      outcome: plan.outcome,
      ...(trail.startedOn ? { startedOn: trail.startedOn } : {}),
      recheckedOn: fingerprint,
      ...(note ? { note } : {}),
    } as const;
    log.info('approval re-checked', { approvalId: record.approvalId, outcome: plan.outcome, fingerprint });
    switch (plan.outcome) {
      case 'released':
      case 'rejected': {
        round.events.emit(event);
        const decision: DecisionRecord = {
          decision: plan.outcome === 'released' ? 'approve' : 'reject',
          approver: POLICY,
          reason: plan.reason,
          argsDigest: record.argsDigest,
          decidedAt: new Date().toISOString(),
        };
        round.book.closeByPolicy(record.approvalId, decision, trail);
        return;
      }
      case 'readdressed': {
        const amended = round.book.amend(record.approvalId, () => ({ ...plan.record, policy: trail }));
        if (!amended) return;
        round.events.emit(event);
        round.events.emit({
          type: 'approval_readdressed',
          approvalId: amended.approvalId,
          approvers: amended.approvers,
          ...(amended.quorum ? { quorum: amended.quorum } : {}),
          recheckedOn: fingerprint,
        });
        round.notices.updated(amended.approvalId);
        return;
      }
      default:
        if (round.book.amend(record.approvalId, (current) => ({ ...current, policy: trail }))) round.events.emit(event);
    }
  }
}

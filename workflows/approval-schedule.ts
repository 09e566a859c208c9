// Reminders, escalation and the on-timeout action of one waiting approval: the decision raced against a sequence
// of durable timers, each step recorded on the approval (so a restarted worker replays to the same place), told
// as an event and to the approval's notification, never to the model.
import { condition } from '@temporalio/workflow';
import type { ApprovalRecord, PendingApproval, ReminderKind, ReminderPlan, ReminderStep } from './contract.ts';
import type { RoundContext } from './round-context.ts';
import { displayTool } from './shared/display-name.ts';

/**
 * Since this patch, a tool whose policy plans reminders, an escalation or `escalate-and-extend` waits for its
 * decision through them. Asked only on that path, so approvals without a plan replay exactly as before.
 */
export const REMINDERS_PATCH = 'approval-reminders';

interface Planned {
  kind: ReminderKind;
  at: number;
}

const ORDER: Record<ReminderKind, number> = { reminder: 0, escalation: 1, extension: 2 };

/** The step the plan has next for this approval, given the steps it took; undefined: only its expiry is left. */
export function nextStep(
  plan: ReminderPlan,
  approval: Pick<PendingApproval, 'openedAt' | 'expiresAt' | 'reminders'>,
): Planned | undefined {
  const openedAt = Date.parse(approval.openedAt);
  const steps = approval.reminders?.steps ?? [];
  const taken = (kind: ReminderKind) => steps.filter((step) => step.kind === kind).length;
  const reminded = taken('reminder');
  const remindAfter = plan.remindAfterMs[reminded];
  const planned: Planned[] = [
    ...(remindAfter === undefined || taken('extension') > 0
      ? []
      : [{ kind: 'reminder' as const, at: openedAt + remindAfter }]),
    ...(plan.escalate?.afterMs === undefined || taken('escalation') > 0
      ? []
      : [{ kind: 'escalation' as const, at: openedAt + plan.escalate.afterMs }]),
    ...(plan.onTimeout === 'escalate-and-extend' && taken('extension') === 0
      ? [{ kind: 'extension' as const, at: Date.parse(approval.expiresAt) }]
      : []),
  ];
  return planned.sort((a, b) => a.at - b.at || ORDER[a.kind] - ORDER[b.kind])[0];
}

/** `reminders` as a new approval carries it: nothing taken yet, the first step planned. */
export function initialReminders(
  plan: ReminderPlan,
  approval: Pick<PendingApproval, 'openedAt' | 'expiresAt'>,
): NonNullable<PendingApproval['reminders']> {
  return withNext(plan, { ...approval, reminders: { steps: [] } });
}

function withNext(
  plan: ReminderPlan,
  approval: Pick<PendingApproval, 'openedAt' | 'expiresAt'> & { reminders: { steps: ReminderStep[] } },
): NonNullable<PendingApproval['reminders']> {
  const next = nextStep(plan, approval);
  return {
    steps: approval.reminders.steps,
    ...(next ? { next: { kind: next.kind, at: new Date(next.at).toISOString() } } : {}),
  };
}

/** The record after one step: the step appended, approvers grown (escalation) or the expiry moved (extension). */
function taken(
  plan: ReminderPlan,
  record: PendingApproval,
  kind: ReminderKind,
  timeoutMs: number,
): { record: PendingApproval; steps: ReminderStep[] } {
  const at = new Date().toISOString();
  const steps: ReminderStep[] = [];
  let { approvers, expiresAt } = record;
  const escalated = (record.reminders?.steps ?? []).some((step) => step.kind === 'escalation');
  if (kind === 'reminder') steps.push({ kind, at });
  if (kind === 'extension') {
    expiresAt = new Date(Date.parse(record.expiresAt) + timeoutMs).toISOString();
    steps.push({ kind, at, expiresAt });
  }
  // An extension escalates too, unless the approval was escalated already.
  if (plan.escalate && (kind === 'escalation' || (kind === 'extension' && !escalated))) {
    const { to, group } = plan.escalate;
    approvers = [...new Set([...approvers, ...to])];
    steps.push({ kind: 'escalation', at, to, ...(group === undefined ? {} : { group }) });
  }
  const reminders = withNext(plan, {
    openedAt: record.openedAt,
    expiresAt,
    reminders: { steps: [...(record.reminders?.steps ?? []), ...steps] },
  });
  return { record: { ...record, approvers, expiresAt, reminders }, steps };
}

/**
 * Waits for the approval's decision through its plan: each step's timer is a Temporal timer, and where the round
 * stands lives in the approval's record, so a worker killed between steps resumes at the next one on time.
 */
export async function waitWithReminders(
  round: Pick<RoundContext, 'book' | 'events' | 'notices'>,
  approvalId: string,
  plan: ReminderPlan,
  timeoutMs: number,
): Promise<ApprovalRecord> {
  const current = () => round.book.get(approvalId)!;
  const decided = () => current().status !== 'pending';
  for (;;) {
    const record = current();
    if (record.status !== 'pending') return record;
    const next = nextStep(plan, record);
    if (!next) return round.book.waitForDecision(record, Math.max(1, Date.parse(record.expiresAt) - Date.now()));
    const summary = `approval ${approvalId} (${displayTool(record.server, record.tool)}): ${next.kind}`;
    await condition(decided, Math.max(1, next.at - Date.now()), { summary });
    // A decision applied in the same workflow task as the timer fired was made first: no step after it.
    if (decided()) continue;
    const step = taken(plan, record, next.kind, timeoutMs);
    round.book.amend(approvalId, () => step.record);
    for (const done of step.steps) {
      if (done.kind === 'reminder') round.events.emit({ type: 'approval_reminded', approvalId, step: done });
      if (done.kind === 'escalation')
        round.events.emit({ type: 'approval_escalated', approvalId, step: done, approvers: step.record.approvers });
      if (done.kind === 'extension')
        round.events.emit({ type: 'approval_extended', approvalId, step: done, expiresAt: step.record.expiresAt });
      round.notices.stepped(approvalId, done, plan.escalate?.slackChannel);
    }
  }
}

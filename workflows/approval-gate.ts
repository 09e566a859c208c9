// The gate in front of one tool call: open an approval, tell the approvers, wait for a decision or the timer.
import { log } from '@temporalio/workflow';
import { isPatched } from './round-patches.ts';
import type { CallSite } from './call-site.ts';
import { argsDigest } from './canonical-json.ts';
import { approvalSummary } from './shared/approval-summary.ts';
import { approvalIdFor } from './contract/ids.ts';
import type { ExecutionResult } from './tool-execution.ts';
import { expiredMessage, rejectedMessage } from './model-messages.ts';
import { FULL_ARGUMENTS_PATCH, argumentsFacts } from './argument-facts.ts';
import { inSpan } from './round-spans.ts';
import { quorumState } from './shared/quorum.ts';
import { REMINDERS_PATCH, initialReminders, waitWithReminders } from './approval-schedule.ts';
import { PREVIEWS_PATCH, runPreview } from './approval-preview.ts';
import { rememberTerms } from './grants/grant-gate.ts';

/**
 * Since this patch, a tool whose policy carries a quorum opens an approval that several people decide. Asked only
 * when the policy has one, so rounds without quorums replay exactly as before.
 */
export const QUORUM_PATCH = 'quorum';

/**
 * Cleared: the call may run (`edit`: with the approver's arguments instead of the model's). Otherwise what the
 * model is told instead.
 */
export type GateVerdict =
  | { cleared: true; edit?: { arguments: Record<string, unknown>; approver: string } }
  | { cleared: false; result: ExecutionResult };

export async function passGate(site: CallSite): Promise<GateVerdict> {
  const { round, tool, args, call, callIndex } = site;
  // Before the approval opens, so its timer gives the approvers their whole time to read it.
  const preview =
    tool.policy.preview && isPatched(PREVIEWS_PATCH) ? await runPreview(site, tool.policy.preview) : undefined;
  const openedAt = new Date();
  const facts = argumentsFacts(tool, args);
  const shown = isPatched(FULL_ARGUMENTS_PATCH) ? facts : { arguments: args, argsPreview: facts.argsPreview };
  const { quorum } = tool.policy;
  const counted = quorum && isPatched(QUORUM_PATCH) ? { quorum: quorumState(quorum, []), decisions: [] } : {};
  const plan = tool.policy.reminders && isPatched(REMINDERS_PATCH) ? tool.policy.reminders : undefined;
  const expiresAt = new Date(openedAt.getTime() + tool.policy.approvalTimeoutMs).toISOString();
  const planned = plan ? { reminders: initialReminders(plan, { openedAt: openedAt.toISOString(), expiresAt }) } : {};
  const approval = round.book.open({
    approvalId: approvalIdFor(round.roundId, round.step, callIndex),
    roundId: round.roundId,
    step: round.step,
    callIndex,
    toolCallId: call.id,
    server: tool.server,
    tool: tool.name,
    ...shown,
    argsDigest: argsDigest(args),
    requester: round.requester,
    approvers: tool.policy.approvers,
    allowSelfApproval: tool.policy.allowSelfApproval,
    ...counted,
    ...planned,
    ...(round.configFingerprint ? { policy: { startedOn: round.configFingerprint } } : {}),
    ...(preview ? { preview, previewDigest: preview.digest } : {}),
    ...rememberTerms(tool),
    openedAt: openedAt.toISOString(),
    expiresAt,
  });
  site.record.approvalId = approval.approvalId;
  round.book.describeTool(approval.approvalId, tool);
  round.policyFollow.track(approval.approvalId, args);
  log.info('approval opened', {
    approvalId: approval.approvalId,
    server: tool.server,
    tool: tool.name,
    expiresAt: approval.expiresAt,
  });
  round.events.emit({ type: 'approval_required', approval: approvalSummary(approval) });
  round.notices.opened(approval);
  const closed = await inSpan(
    'approval wait',
    { 'toolgate.approval.id': approval.approvalId },
    () =>
      plan
        ? waitWithReminders(round, approval.approvalId, plan, tool.policy.approvalTimeoutMs)
        : round.book.waitForDecision(approval, tool.policy.approvalTimeoutMs),
    (done) => ({
      'toolgate.approval.outcome': done.status,
      ...(done.decision ? { 'toolgate.approval.channel': done.decision.approver.channel } : {}),
    }),
  );
  round.events.emit({
    type: 'approval_decided',
    approvalId: closed.approvalId,
    status: closed.status,
    decision: closed.decision,
  });
  log.info('approval closed', {
    approvalId: closed.approvalId,
    status: closed.status,
    ...(closed.decision ? { channel: closed.decision.approver.channel } : {}),
  });
  round.notices.closed(closed.approvalId);
  switch (closed.status) {
    case 'approved': {
      const edited = closed.decision.editedArguments;
      if (!edited) return { cleared: true };
      site.record.editedArguments = edited;
      return { cleared: true, edit: { arguments: edited, approver: closed.decision.approver.id } };
    }
    case 'rejected': {
      const content = rejectedMessage(tool.name, closed.decision.approver.id, closed.decision.reason);
      return { cleared: false, result: { outcome: 'rejected', content, truncated: false, attempts: 0 } };
    }
    default: {
      const content = expiredMessage(tool.name, tool.policy.approvalTimeoutMs);
      return { cleared: false, result: { outcome: 'expired', content, truncated: false, attempts: 0 } };
    }
  }
}

// Edit on approve: an approver approves with the call they want run instead of the model's. The round checks
// the edit like a call of its own (depth, size, the tool's schema) and under the same policy as the original,
// and refuses edits that would let one person change what others approve (quorum) or that would carry secrets
// into the round's history.
import { argsDigest, canonicalJson } from './canonical-json.ts';
import type { PendingApproval, ToolDescriptor } from './contract.ts';
import type { DecisionRequest } from './contract/decisions.ts';
import { FailureType } from './contract/failures.ts';
import { MAX_EDITED_ARGUMENTS_CHARS } from './contract/names.ts';
import { requiresApproval } from './policy.ts';
import { mayDecide } from './shared/decide-rights.ts';
import { redactArguments } from './shared/redaction.ts';
import { schemaProblems } from './shared/schema-check.ts';
import { MAX_ARGUMENT_DEPTH, nestsDeeperThan } from './shared/nesting.ts';

/**
 * Since this patch, an approval may be approved with edited arguments, which then run instead of the model's.
 * Asked only when a decision carries arguments, so rounds without edits replay exactly as before.
 */
export const EDIT_PATCH = 'edit-on-approve';

export interface EditRefusal {
  type: FailureType;
  message: string;
  /** Each thing wrong with the edit, for the approver to fix. */
  reasons: string[];
}

function refused(type: FailureType, approvalId: string, reasons: string[]): EditRefusal {
  const what = type === FailureType.EditNotAllowed ? 'may not be approved with edits' : 'edit is invalid';
  return { type, message: `Approval ${approvalId} ${what}: ${reasons.join('; ')}`, reasons };
}

/** Why this approval may not run these edited arguments, or undefined when it may. */
export function editRefusal(
  record: PendingApproval,
  tool: ToolDescriptor | undefined,
  request: DecisionRequest & { arguments: Record<string, unknown> },
): EditRefusal | undefined {
  const { approvalId } = record;
  const edited = request.arguments;
  // Iterative first: the checks below walk the arguments recursively.
  if (nestsDeeperThan(edited, MAX_ARGUMENT_DEPTH))
    return refused(FailureType.InvalidEdit, approvalId, [
      `the arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels`,
    ]);
  const chars = canonicalJson(edited).length;
  if (chars > MAX_EDITED_ARGUMENTS_CHARS)
    return refused(FailureType.InvalidEdit, approvalId, [
      `the arguments are ${chars} characters of JSON, more than ${MAX_EDITED_ARGUMENTS_CHARS}`,
    ]);
  if (argsDigest(edited) !== request.editedArgsDigest)
    return {
      type: FailureType.UnsignedDecision,
      message: `Decision refused: its edited arguments are not the ones its editedArgsDigest (and signature) cover`,
      reasons: ['the edited arguments do not match editedArgsDigest'],
    };
  if (!tool) return refused(FailureType.EditNotAllowed, approvalId, ['this approval takes no edits']);
  if (record.quorum) {
    const others = (record.decisions ?? []).filter((decision) => decision.decision === 'approve').length;
    const said =
      others > 0
        ? `${others} other approver${others === 1 ? '' : 's'} already approved the original arguments`
        : 'it needs several approvers, and each must approve the same arguments';
    return refused(FailureType.EditNotAllowed, approvalId, [`a quorum approval cannot be edited: ${said}`]);
  }
  // The approver saw what the model's call would change, not what the edited one would: nothing unpreviewed runs.
  if (record.preview)
    return refused(FailureType.EditNotAllowed, approvalId, [
      `its preview (${record.preview.tool}) shows what the model's arguments would change, and an edited call was never previewed`,
    ]);
  if (tool.policy.editable === false)
    return refused(FailureType.EditNotAllowed, approvalId, [
      `the policy of ${tool.server}/${tool.name} says editable: false`,
    ]);
  if (record.redacted?.length)
    return refused(FailureType.EditNotAllowed, approvalId, [
      `its arguments hold redacted values (${record.redacted.join(', ')}) that no approver sees`,
    ]);
  const secrets = redactArguments(edited, tool.inputSchema, tool.policy.redact).redacted;
  if (secrets.length > 0)
    return refused(FailureType.EditNotAllowed, approvalId, [
      `the edit sets secret values (${secrets.join(', ')}), which would be kept in the round's history`,
    ]);
  const problems = schemaProblems(edited, tool.inputSchema);
  if (problems.length > 0) return refused(FailureType.InvalidEdit, approvalId, problems);
  // The edited call as if the model had made it: if it needs approval, this approver must be one who may give it.
  const policy = { ...tool.policy, requester: record.requester };
  const permission = mayDecide(policy, request.approver.id);
  if (requiresApproval(tool, edited) && !permission.allowed)
    return refused(FailureType.EditNotAllowed, approvalId, [`under the edited arguments, ${permission.why}`]);
  return undefined;
}

// Pure policy decisions over a tool's descriptor; no I/O, so the workflow can evaluate them on replay.
import { keysRequireApproval } from './argument-keys.ts';
import { rulesRequireApproval } from './argument-rules.ts';
import type { ToolDescriptor } from './contract.ts';
import { trustedHint, waivedAsReadOnly } from './shared/read-only-waiver.ts';

/**
 * Since this patch, argument keys compare after Unicode folding, a key outside the schema or ASCII needs approval,
 * rules may gate a missing argument (`whenAbsent`), and `readOnlyHint` waives approval only for a closed-world
 * tool. Rounds started before it keep the old evaluation (replay).
 */
export const CLOSED_POLICY_PATCH = 'closed-policy';

/** `closed`: the evaluation of CLOSED_POLICY_PATCH; false only to replay rounds started before it. */
export function requiresApproval(tool: ToolDescriptor, args: Record<string, unknown>, closed = true): boolean {
  if (rulesRequireApproval(tool.policy.argumentRules, args, closed)) return true;
  // Even under `approval: never`: the operator waived approval for the tool as its schema describes it.
  if (closed && keysRequireApproval(args, tool.inputSchema)) return true;
  switch (tool.policy.approval) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'annotations':
      return !waivedAsReadOnly(tool, closed);
  }
}

/** A call whose outcome is unknown (timeout, lost worker) may be sent again only when repeating it is harmless. */
export function isRetrySafe(tool: ToolDescriptor): boolean {
  return tool.policy.idempotent === true || trustedHint(tool, 'readOnlyHint') || trustedHint(tool, 'idempotentHint');
}

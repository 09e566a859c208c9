// Pure policy decisions over a tool's descriptor; no I/O, so the workflow can evaluate them on replay.
import { rulesRequireApproval } from './argument-rules.ts';
import type { ToolDescriptor } from './contract.ts';

/** Annotations count only when the server is trusted; an untrusted server's hints are treated as absent. */
function trustedHint(tool: ToolDescriptor, hint: 'readOnlyHint' | 'idempotentHint'): boolean {
  return tool.policy.trusted && tool.annotations[hint] === true;
}

export function requiresApproval(tool: ToolDescriptor, args: Record<string, unknown>): boolean {
  if (rulesRequireApproval(tool.policy.argumentRules, args)) return true;
  switch (tool.policy.approval) {
    case 'never':
      return false;
    case 'always':
      return true;
    case 'annotations':
      return !trustedHint(tool, 'readOnlyHint');
  }
}

/** A call whose outcome is unknown (timeout, lost worker) may be sent again only when repeating it is harmless. */
export function isRetrySafe(tool: ToolDescriptor): boolean {
  return tool.policy.idempotent === true || trustedHint(tool, 'readOnlyHint') || trustedHint(tool, 'idempotentHint');
}

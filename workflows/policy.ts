// Pure policy decisions over a tool's descriptor; no I/O, so the workflow can evaluate them on replay.
import type { ToolDescriptor } from './contract.ts';

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function argumentText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Annotations count only when the server is trusted; an untrusted server's hints are treated as absent. */
function trustedHint(tool: ToolDescriptor, hint: 'readOnlyHint' | 'idempotentHint'): boolean {
  return tool.policy.trusted && tool.annotations[hint] === true;
}

export function requiresApproval(tool: ToolDescriptor, args: Record<string, unknown>): boolean {
  const byRule = tool.policy.argumentRules.some((rule) => {
    if (!Object.hasOwn(args, rule.argument)) return false;
    const text = argumentText(args[rule.argument]);
    return text !== undefined && globToRegExp(rule.matches).test(text);
  });
  if (byRule) return true;
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

export function mayDecide(
  approval: { approvers: string[]; requester: string; allowSelfApproval: boolean },
  principalId: string,
): { allowed: true } | { allowed: false; why: string } {
  if (principalId === approval.requester && !approval.allowSelfApproval) {
    return { allowed: false, why: `${principalId} requested this call and may not approve it` };
  }
  if (approval.approvers.includes('*') || approval.approvers.includes(principalId)) return { allowed: true };
  return { allowed: false, why: `${principalId} is not an approver for this tool` };
}

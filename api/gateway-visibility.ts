// Which gateway tools a caller can ever get run (docs/gateway.md, "Names, listing and filtering"): tools/list hides
// the others and a call to one answers as for an unknown tool. Policy has no "deny": a tool is out of reach when
// every call of it needs an approval and nobody but the caller (who may not approve their own call) could give
// it. Where that is not certain (an escalation may add approvers later), the tool stays listed: the round's own
// gate still decides every call.
import type { ToolDescriptor } from '../workflows/contract.ts';
import { waivedAsReadOnly } from '../workflows/shared/read-only-waiver.ts';

/**
 * Every call needs approval: the gate's verdict (workflows/policy.ts) before argument rules and unknown keys, which
 * only add approvals.
 */
function alwaysGated(tool: ToolDescriptor): boolean {
  if (tool.policy.approval === 'annotations') return !waivedAsReadOnly(tool, true);
  return tool.policy.approval === 'always';
}

/** Someone the round would count could approve `principal`'s call. */
function someoneMayApprove(policy: ToolDescriptor['policy'], principal: string): boolean {
  if (policy.reminders?.escalate) return true;
  const counts = (id: string) => id === '*' || id !== principal || policy.allowSelfApproval;
  if (!policy.quorum) return policy.approvers.some(counts);
  return policy.quorum.requirements.every(
    (requirement) => requirement.members.filter(counts).length >= requirement.count,
  );
}

/** The tool can run for `principal`: some call needs no approval, or someone may approve it. */
export function mayEverRun(tool: ToolDescriptor, principal: string): boolean {
  return !alwaysGated(tool) || someoneMayApprove(tool.policy, principal);
}

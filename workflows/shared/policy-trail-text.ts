// How people read an approval's policy trail, the same on every channel (each escapes it its own way).
import type { ApprovalPolicyTrail, RecheckOutcome } from '../contract.ts';

const OUTCOMES: Record<RecheckOutcome, string> = {
  unchanged: 're-checked, unchanged',
  loosened: 're-checked: no longer required by policy, still waiting',
  readdressed: 're-addressed by policy',
  released: 'released by policy',
  rejected: 'rejected by policy',
};

/** `started on config cfg-a; re-addressed by policy under config cfg-b: …`, or undefined with nothing to say. */
export function policyTrailText(policy: ApprovalPolicyTrail | undefined): string | undefined {
  if (!policy) return undefined;
  const started = `started on config ${policy.startedOn ?? '(unknown)'}`;
  if (!policy.recheckedOn || !policy.outcome) return policy.startedOn ? started : undefined;
  const note = policy.note ? `: ${policy.note}` : '';
  return `${started}; ${OUTCOMES[policy.outcome]} under config ${policy.recheckedOn}${note}`;
}

/** One line per re-check event, as timelines show it. */
export function recheckEventText(event: {
  outcome: RecheckOutcome;
  startedOn?: string | undefined;
  recheckedOn: string;
  note?: string | undefined;
}): string {
  return policyTrailText({ ...event }) ?? '';
}

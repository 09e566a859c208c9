// A quorum in words, the same on every channel (CLI, Slack card, console): what it requires, who decided and
// what is still needed.
import type { Quorum } from '../contract.ts';

/** `2 of oncall and 1 of dba` */
export function quorumRule(quorum: Quorum): string {
  return quorum.requirements.map((requirement) => `${requirement.count} of ${requirement.group}`).join(' and ');
}

/** `alice approved (oncall), bob rejected`, or `nobody yet` */
export function quorumDecided(quorum: Quorum): string {
  if (quorum.decided.length === 0) return 'nobody yet';
  return quorum.decided
    .map(
      (vote) =>
        `${vote.approver} ${vote.decision === 'approve' ? 'approved' : 'rejected'}${vote.group ? ` (${vote.group})` : ''}`,
    )
    .join(', ');
}

/** `1 of oncall`, or `nothing` once every requirement is met */
export function quorumNeeded(quorum: Quorum): string {
  return quorum.needed.length === 0
    ? 'nothing'
    : quorum.needed.map((need) => `${need.count} of ${need.group}`).join(' and ');
}

/** One line: `quorum 2 of oncall and 1 of dba; decided: alice approved (oncall); still needed: 1 of oncall and 1 of dba` */
export function quorumLine(quorum: Quorum): string {
  const rejects = quorum.rejectWith === 'quorum' ? ' (rejected only when it can no longer be met)' : '';
  return `quorum ${quorumRule(quorum)}${rejects}; decided: ${quorumDecided(quorum)}; still needed: ${quorumNeeded(quorum)}`;
}

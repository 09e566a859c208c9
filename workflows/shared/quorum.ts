// Quorum arithmetic, the same in the round's approval book (which decisions count, when it closes), the API's
// precheck and the audit trail's rebuild. Pure and deterministic: the workflow evaluates it on replay.
import type { Decision, Quorum, QuorumRequirement, QuorumVote, RejectWith } from '../contract.ts';

/**
 * The best assignment of people to requirement slots (each person fills at most one slot, a slot only of a group
 * they belong to): a maximum bipartite matching by augmenting paths. Greedy assignment is not enough: alice, in
 * oncall and dba, must move from oncall to dba when bob (oncall only) approves "1 of oncall and 1 of dba".
 */
function assign(requirements: readonly QuorumRequirement[], people: readonly string[]): Map<string, string> {
  const slots = requirements.flatMap((requirement) => Array<string>(requirement.count).fill(requirement.group));
  const holder: (string | undefined)[] = slots.map(() => undefined);
  const groupsOf = (person: string) =>
    new Set(requirements.filter((r) => r.members.includes(person)).map((r) => r.group));
  const tryPlace = (person: string, seen: Set<number>): boolean => {
    const groups = groupsOf(person);
    for (let slot = 0; slot < slots.length; slot += 1) {
      if (!groups.has(slots[slot]!) || seen.has(slot)) continue;
      seen.add(slot);
      const current = holder[slot];
      if (current === undefined || tryPlace(current, seen)) {
        holder[slot] = person;
        return true;
      }
    }
    return false;
  };
  for (const person of people) tryPlace(person, new Set());
  const placed = new Map<string, string>();
  holder.forEach((person, slot) => {
    if (person !== undefined) placed.set(person, slots[slot]!);
  });
  return placed;
}

function slotCount(requirements: readonly QuorumRequirement[]): number {
  return requirements.reduce((sum, requirement) => sum + requirement.count, 0);
}

/** The approval's quorum as it stands after these counted votes, in the order they counted. */
export function quorumState(
  policy: { requirements: QuorumRequirement[]; rejectWith: RejectWith },
  votes: ReadonlyArray<{ approver: string; decision: Decision }>,
): Quorum {
  const placed = assign(
    policy.requirements,
    votes.filter((vote) => vote.decision === 'approve').map((vote) => vote.approver),
  );
  const needed = policy.requirements.flatMap((requirement) => {
    const filled = [...placed.values()].filter((group) => group === requirement.group).length;
    return requirement.count > filled ? [{ group: requirement.group, count: requirement.count - filled }] : [];
  });
  const decided = votes.map((vote): QuorumVote => {
    const group = vote.decision === 'approve' ? placed.get(vote.approver) : undefined;
    return { approver: vote.approver, decision: vote.decision, ...(group === undefined ? {} : { group }) };
  });
  return { requirements: policy.requirements, rejectWith: policy.rejectWith, needed, decided };
}

/** Why this person's decision cannot count now, or undefined when it would. */
export function quorumRefusal(
  quorum: Quorum,
  principal: string,
): { reason: 'already_decided' | 'not_needed'; why: string } | undefined {
  if (quorum.decided.some((vote) => vote.approver === principal))
    return { reason: 'already_decided', why: `${principal} has already decided this approval: one person counts once` };
  const approvers = quorum.decided.filter((vote) => vote.decision === 'approve').map((vote) => vote.approver);
  const before = assign(quorum.requirements, approvers).size;
  if (assign(quorum.requirements, [...approvers, principal]).size > before) return undefined;
  const still = quorum.needed.map((need) => `${need.count} of ${need.group}`).join(' and ');
  return { reason: 'not_needed', why: `${principal} counts toward none of what is still needed (${still})` };
}

/**
 * How the approval closes after its counted votes, or undefined while it waits. Approved once every requirement
 * is filled; rejected by the first counted rejection (`rejectWith: first`), or (`quorum`) once the people who
 * have not decided, with those who approved, can no longer fill every requirement. `eligible` says who may still
 * decide (the requester is not, unless self-approval is allowed).
 */
export function quorumOutcome(
  quorum: Quorum,
  eligible: (principal: string) => boolean,
): 'approved' | 'rejected' | undefined {
  if (quorum.needed.length === 0) return 'approved';
  const rejected = quorum.decided.some((vote) => vote.decision === 'reject');
  if (!rejected) return undefined;
  if (quorum.rejectWith === 'first') return 'rejected';
  const decided = new Set(quorum.decided.map((vote) => vote.approver));
  const approvers = quorum.decided.filter((vote) => vote.decision === 'approve').map((vote) => vote.approver);
  const undecided = [...new Set(quorum.requirements.flatMap((requirement) => requirement.members))].filter(
    (person) => !decided.has(person) && eligible(person),
  );
  return assign(quorum.requirements, [...approvers, ...undecided]).size < slotCount(quorum.requirements)
    ? 'rejected'
    : undefined;
}

// Quorum arithmetic: distinct people per requirement, one person counts once, and when an approval closes.
import { describe, expect, it } from 'vitest';
import { quorumOutcome, quorumRefusal, quorumState } from '../../workflows/shared/quorum.ts';

const policy = {
  requirements: [
    { group: 'oncall', count: 1, members: ['alice', 'bob'] },
    { group: 'dba', count: 1, members: ['alice', 'dave'] },
  ],
  rejectWith: 'first' as const,
};
const anyone = () => true;

describe('quorum', () => {
  it('moves a member of two groups to the group only they can fill', () => {
    const state = quorumState(policy, [
      { approver: 'alice', decision: 'approve' },
      { approver: 'bob', decision: 'approve' },
    ]);
    expect(state.needed).toEqual([]);
    expect(state.decided).toEqual([
      { approver: 'alice', decision: 'approve', group: 'dba' },
      { approver: 'bob', decision: 'approve', group: 'oncall' },
    ]);
    expect(quorumOutcome(state, anyone)).toBe('approved');
  });

  it('counts one person once, however many groups they are in', () => {
    const state = quorumState(policy, [{ approver: 'alice', decision: 'approve' }]);
    expect(state.needed).toHaveLength(1);
    expect(quorumOutcome(state, anyone)).toBeUndefined();
    expect(quorumRefusal(state, 'alice')?.reason).toBe('already_decided');
  });

  it('refuses someone who fills no requirement still unmet', () => {
    const two = { ...policy, requirements: [{ group: 'oncall', count: 2, members: ['alice', 'bob', 'carol'] }] };
    const state = quorumState({ ...policy, requirements: [policy.requirements[0]!] }, [
      { approver: 'bob', decision: 'approve' },
    ]);
    expect(state.needed).toEqual([]);
    expect(quorumRefusal(state, 'alice')?.reason).toBe('not_needed');
    expect(quorumRefusal(quorumState(two, [{ approver: 'bob', decision: 'approve' }]), 'carol')).toBeUndefined();
    expect(quorumRefusal(quorumState(two, []), 'mallory')?.reason).toBe('not_needed');
  });

  it('closes rejected on the first rejection, or with rejectWith quorum only once the quorum cannot be met', () => {
    const two = { requirements: [{ group: 'oncall', count: 2, members: ['alice', 'bob', 'carol'] }] };
    const oneNo = [{ approver: 'alice', decision: 'reject' as const }];
    expect(quorumOutcome(quorumState({ ...two, rejectWith: 'first' }, oneNo), anyone)).toBe('rejected');
    expect(quorumOutcome(quorumState({ ...two, rejectWith: 'quorum' }, oneNo), anyone)).toBeUndefined();
    const twoNo = [...oneNo, { approver: 'bob', decision: 'reject' as const }];
    expect(quorumOutcome(quorumState({ ...two, rejectWith: 'quorum' }, twoNo), anyone)).toBe('rejected');
    // carol requested the call: she cannot make up the quorum, so one rejection defeats it.
    expect(quorumOutcome(quorumState({ ...two, rejectWith: 'quorum' }, oneNo), (p) => p !== 'carol')).toBe('rejected');
  });
});

// Approval ids carry the round id, the step and the call's index; the API finds the round from the id alone.
import { describe, expect, it } from 'vitest';
import { approvalIdFor, parseApprovalId } from '../../workflows/contract/ids.ts';

describe('approval ids', () => {
  it('parse back past 9,999 steps and calls', () => {
    for (const [step, callIndex] of [
      [1, 0],
      [1, 10_000],
      [10_000, 3],
      [123_456_789, 987_654_321],
    ] as const) {
      const id = approvalIdFor('round-1', step, callIndex);
      expect(parseApprovalId(id), id).toEqual({ roundId: 'round-1', step, callIndex });
    }
  });

  it('refuse what no round produces', () => {
    for (const id of ['round-1', 'round-1.1', 'round.1.1.1', 'round-1.1.x', 'round-1.1.1234567890', 'r/1.1.1', '.1.1'])
      expect(parseApprovalId(id), id).toBeUndefined();
  });
});

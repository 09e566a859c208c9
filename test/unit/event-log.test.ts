// The round's bounded event log: the oldest events give way, but never an `approval_required` whose approval is
// still pending, so that a client connecting late still learns what waits for a decision.
import { describe, expect, it } from 'vitest';
import type { ApprovalSummary, NewRoundEvent, RoundEvent } from '../../workflows/contract.ts';
import { EventLog } from '../../workflows/event-log.ts';

const required = (approvalId: string): NewRoundEvent => ({
  type: 'approval_required',
  approval: { approvalId } as ApprovalSummary,
});
const step = (n: number): NewRoundEvent => ({
  type: 'llm_step',
  step: n,
  toolCalls: 0,
  finishReason: 'stop',
  usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
});
const ids = (events: RoundEvent[]) => events.map((event) => event.id);

describe('EventLog', () => {
  it('drops the oldest events beyond its capacity', () => {
    const log = new EventLog(3);
    for (let n = 1; n <= 5; n++) log.emit(step(n));
    expect(ids(log.page().events)).toEqual([3, 4, 5]);
    expect(log.page().firstAvailableId).toBe(3);
    expect(ids(log.page(3).events)).toEqual([4, 5]);
  });

  it('keeps a pending approval_required event and drops the oldest other event instead', () => {
    const pending = new Set(['a.1.0']);
    const log = new EventLog(
      3,
      (event) => event.type === 'approval_required' && pending.has(event.approval.approvalId),
    );
    log.emit(step(1)); // 1
    log.emit(required('a.1.0')); // 2
    log.emit(required('a.1.1')); // 3: decided, may go
    for (let n = 4; n <= 7; n++) log.emit(step(n));
    const page = log.page();
    expect(ids(page.events)).toEqual([2, 6, 7]);
    expect(page.firstAvailableId).toBe(2);
    expect(page.events[0]).toMatchObject({ type: 'approval_required', approval: { approvalId: 'a.1.0' } });
    // Paging stays in id order across the gap.
    expect(ids(log.page(2).events)).toEqual([6, 7]);
    expect(ids(log.page(4).events)).toEqual([6, 7]);

    // Once decided, it is the oldest event again and the next to go.
    pending.delete('a.1.0');
    log.emit(step(8));
    expect(ids(log.page().events)).toEqual([6, 7, 8]);
    expect(log.page().firstAvailableId).toBe(6);
  });

  it('grows by the pending approvals when they alone fill it, and keeps the newest event', () => {
    const log = new EventLog(2, (event) => event.type === 'approval_required');
    log.emit(required('a.1.0'));
    log.emit(required('a.1.1'));
    log.emit(required('a.1.2'));
    log.emit(step(4));
    expect(ids(log.page().events)).toEqual([1, 2, 3, 4]);
    log.emit(step(5));
    expect(ids(log.page().events)).toEqual([1, 2, 3, 5]);
  });
});

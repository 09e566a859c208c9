import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveHub, MAX_ROUNDS, MAX_STEP_CHARS } from '../../activities/live-hub.ts';
import type { LiveEvent } from '../../workflows/contract.ts';

const texts = (events: LiveEvent[]) => events.map((event) => ('text' in event ? event.text : event.type));

describe('live hub: the model text of the calls running on a worker', () => {
  afterEach(() => vi.useRealTimers());

  it('numbers each kind from 0 and gives a late subscriber what the step holds, then what comes', () => {
    const hub = new LiveHub();
    const call = hub.call('r1', 1, 1);
    call.publish('reasoning', 'hmm');
    call.publish('token', 'Hel');
    call.publish('token', 'lo');
    const seen: LiveEvent[] = [];
    hub.subscribe('r1', (event) => seen.push(event));
    call.publish('token', '!');
    expect(seen).toEqual([
      { type: 'reasoning', step: 1, attempt: 1, seq: 0, text: 'hmm' },
      { type: 'token', step: 1, attempt: 1, seq: 0, text: 'Hel' },
      { type: 'token', step: 1, attempt: 1, seq: 1, text: 'lo' },
      { type: 'token', step: 1, attempt: 1, seq: 2, text: '!' },
    ]);
    expect(hub.snapshot('other')).toEqual([]);
  });

  it('a retry of the step starts with token_reset and drops the old text; a new step replaces the last one', () => {
    const hub = new LiveHub();
    const seen: LiveEvent[] = [];
    const unsubscribe = hub.subscribe('r1', (event) => seen.push(event));
    hub.call('r1', 1, 1).publish('token', 'half');
    hub.call('r1', 1, 2).publish('token', 'whole');
    expect(texts(seen)).toEqual(['half', 'token_reset', 'whole']);
    expect(hub.snapshot('r1')).toEqual([
      { type: 'token_reset', step: 1, attempt: 2 },
      { type: 'token', step: 1, attempt: 2, seq: 0, text: 'whole' },
    ]);
    // The same step again on this worker (its workflow task ran again), even as attempt 1: reset too.
    hub.call('r1', 1, 1);
    expect(seen.at(-1)).toEqual({ type: 'token_reset', step: 1, attempt: 1 });
    hub.call('r1', 2, 1).publish('token', 'next');
    expect(texts(hub.snapshot('r1'))).toEqual(['next']);
    unsubscribe();
    hub.call('r1', 2, 1).publish('token', 'unseen');
    expect(texts(seen)).toEqual(['half', 'token_reset', 'whole', 'token_reset', 'next']);
  });

  it(`holds ${MAX_STEP_CHARS} characters of a step for late subscribers; listeners still get the rest`, () => {
    const hub = new LiveHub();
    const call = hub.call('r1', 1, 1);
    const seen: LiveEvent[] = [];
    hub.subscribe('r1', (event) => seen.push(event));
    call.publish('token', 'x'.repeat(MAX_STEP_CHARS - 1));
    call.publish('token', 'yy');
    call.publish('token', 'z');
    expect(texts(hub.snapshot('r1')).map((text) => text.length)).toEqual([MAX_STEP_CHARS - 1, 1]);
    expect(seen).toHaveLength(3);
  });

  it('drops a step 30 s after its call ended unless it is tried again; keeps at most MAX_ROUNDS rounds', () => {
    vi.useFakeTimers();
    const hub = new LiveHub();
    const first = hub.call('r1', 1, 1);
    first.publish('token', 'a');
    first.end();
    vi.advanceTimersByTime(29_000);
    hub.call('r1', 1, 2).publish('token', 'b'); // a retry within the linger time keeps the round
    vi.advanceTimersByTime(5_000);
    expect(texts(hub.snapshot('r1'))).toEqual(['token_reset', 'b']);
    hub.call('r1', 1, 2).end();
    vi.advanceTimersByTime(30_000);
    expect(hub.snapshot('r1')).toEqual([]);

    const ended = hub.call('ended', 1, 1);
    ended.publish('token', 'e');
    ended.end();
    for (let i = 0; i < MAX_ROUNDS; i++) hub.call(`r-${i}`, 1, 1).publish('token', 't');
    expect(hub.snapshot('ended')).toEqual([]); // the one whose call ended went first
    expect(texts(hub.snapshot('r-0'))).toEqual(['t']);
    hub.call('one-more', 1, 1).publish('token', 't');
    expect(hub.snapshot('r-0')).toEqual([]); // then the oldest
    expect(texts(hub.snapshot(`r-${MAX_ROUNDS - 1}`))).toEqual(['t']);
  });
});

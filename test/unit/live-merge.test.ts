// What one client gets of a round's live events from several workers (api/live-merge.ts).
import { describe, expect, it } from 'vitest';
import { LiveMerge } from '../../api/live-merge.ts';
import type { LiveEvent } from '../../workflows/contract.ts';

const token = (step: number, attempt: number, seq: number, text = `t${seq}`): LiveEvent => ({
  type: 'token',
  step,
  attempt,
  seq,
  text,
});

describe('LiveMerge', () => {
  it('passes one call through in order, each piece once when a worker sends its held events again', () => {
    const merge = new LiveMerge();
    const sent = [token(1, 1, 0), token(1, 1, 1), token(1, 1, 0), token(1, 1, 1), token(1, 1, 2)].flatMap((event) =>
      merge.accept('a', event),
    );
    expect(sent).toEqual([token(1, 1, 0), token(1, 1, 1), token(1, 1, 2)]);
  });

  it('resets a step before the text of its retry, and drops what the earlier attempt still sends', () => {
    const merge = new LiveMerge();
    merge.accept('a', token(2, 1, 0));
    expect(merge.accept('a', token(2, 2, 0, 'again'))).toEqual([
      { type: 'token_reset', step: 2, attempt: 2 },
      token(2, 2, 0, 'again'),
    ]);
    expect(merge.accept('a', token(2, 1, 1))).toEqual([]);
  });

  it('starts a step over when its worker resets it without a new attempt (its workflow task ran again)', () => {
    const merge = new LiveMerge();
    merge.accept('a', token(1, 1, 0));
    merge.accept('a', token(1, 1, 1));
    const reset: LiveEvent = { type: 'token_reset', step: 1, attempt: 1 };
    expect(merge.accept('a', reset)).toEqual([reset]);
    expect(merge.accept('a', token(1, 1, 0, 'new'))).toEqual([token(1, 1, 0, 'new')]);
  });

  it('resets a step taken over by another worker, though it counts attempts from 1 again, and ignores the first', () => {
    const merge = new LiveMerge();
    merge.accept('a', token(1, 1, 0));
    merge.accept('a', token(1, 1, 1));
    expect(merge.accept('b', token(1, 1, 0, 'b0'))).toEqual([
      { type: 'token_reset', step: 1, attempt: 1 },
      token(1, 1, 0, 'b0'),
    ]);
    expect(merge.accept('a', token(1, 1, 2))).toEqual([]);
    expect(merge.accept('b', token(1, 1, 1, 'b1'))).toEqual([token(1, 1, 1, 'b1')]);
  });

  it('follows the newest step: an older step sends nothing more, and reasoning counts apart from tokens', () => {
    const merge = new LiveMerge();
    merge.accept('a', token(1, 1, 0));
    const reasoning: LiveEvent = { type: 'reasoning', step: 2, attempt: 1, seq: 0, text: 'hmm' };
    expect(merge.accept('b', reasoning)).toEqual([reasoning]);
    expect(merge.accept('b', token(2, 1, 0))).toEqual([token(2, 1, 0)]);
    expect(merge.accept('a', token(1, 1, 1))).toEqual([]);
  });
});

// One client's view of a round's live events, merged from every worker that serves some: only the newest step,
// only the newest call of it, each event once. A step's call that starts again (a retry, or another worker after
// the first died, which may count its attempts from 1 again) first tells the client to drop that step's text.
import type { LiveEvent } from '../workflows/contract/live.ts';

/** The call of a step whose events the client gets: from one worker, one attempt. */
interface Current {
  step: number;
  attempt: number;
  source: string;
  lastSeq: { token: number; reasoning: number };
  /** Workers whose call of this step was superseded: whatever they still send of it is stale. */
  retired: Set<string>;
}

export class LiveMerge {
  #current: Current | undefined;

  /** What the client is sent for `event` from worker `source`: nothing, the event, or a reset then the event. */
  accept(source: string, event: LiveEvent): LiveEvent[] {
    const current = this.#current;
    if (!current || event.step > current.step) {
      this.#current = fresh(event, source, new Set());
      return event.type === 'token_reset' ? [event] : this.#text(this.#current, event);
    }
    if (event.step < current.step || current.retired.has(source) || event.attempt < current.attempt) return [];
    if (event.attempt > current.attempt || source !== current.source) {
      const retired = new Set(current.retired);
      if (source !== current.source) retired.add(current.source);
      this.#current = fresh(event, source, retired);
      const reset: LiveEvent = { type: 'token_reset', step: event.step, attempt: event.attempt };
      return event.type === 'token_reset' ? [reset] : [reset, ...this.#text(this.#current, event)];
    }
    if (event.type === 'token_reset') {
      // The same worker runs the step again with the same attempt (its workflow task ran again): text from seq 0.
      this.#current = fresh(event, source, current.retired);
      return [event];
    }
    return this.#text(current, event);
  }

  /** A worker reconnected to sends its held text again: each piece once. */
  #text(current: Current, event: Exclude<LiveEvent, { type: 'token_reset' }>): LiveEvent[] {
    if (event.seq <= current.lastSeq[event.type]) return [];
    current.lastSeq[event.type] = event.seq;
    return [event];
  }
}

function fresh(event: LiveEvent, source: string, retired: Set<string>): Current {
  return { step: event.step, attempt: event.attempt, source, lastSeq: { token: -1, reasoning: -1 }, retired };
}

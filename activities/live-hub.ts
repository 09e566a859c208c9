// The model's text of the LLM calls running on this worker, per round, for the worker's live server: held in
// memory only (never in history), bounded, and dropped a short time after the step's call ends.
import type { LiveEvent } from '../workflows/contract/live.ts';

export type LiveListener = (event: LiveEvent) => void;

/** Text of one step kept for clients that connect late; later events reach only those already listening. */
export const MAX_STEP_CHARS = 100_000;
/** Rounds held at once: a new one pushes out the oldest whose call ended, else the oldest. */
export const MAX_ROUNDS = 1_000;
/** How long a step's events stay after its call ends, for a client that connects just then. */
export const LINGER_MS = 30_000;

interface StepBuffer {
  step: number;
  events: LiveEvent[];
  chars: number;
  /** Set once the step's call ended: drops the buffer. */
  drop?: NodeJS.Timeout;
}

/** One attempt of one step's LLM call: numbers its events (each kind from 0) and says when it ends. */
export interface LiveCall {
  publish(type: 'token' | 'reasoning', text: string): void;
  end(): void;
}

export class LiveHub {
  /** In insertion order, so the first entries are the oldest. */
  private readonly buffers = new Map<string, StepBuffer>();
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly lingerMs: number;

  constructor(options: { lingerMs?: number } = {}) {
    this.lingerMs = options.lingerMs ?? LINGER_MS;
  }

  /**
   * Starts an attempt of a step's call. A retry (attempt > 1), or a step this worker already streamed (its workflow
   * task ran again), first publishes `token_reset`: clients drop that step's text received so far.
   */
  call(roundId: string, step: number, attempt: number): LiveCall {
    if (attempt > 1 || this.buffers.get(roundId)?.step === step)
      this.publish(roundId, { type: 'token_reset', step, attempt });
    const seq = { token: 0, reasoning: 0 };
    return {
      publish: (type, text) => this.publish(roundId, { type, step, attempt, seq: seq[type]++, text }),
      end: () => this.ended(roundId, step),
    };
  }

  /** Holds the event for the round's current step (a new step replaces the last one) and hands it to listeners. */
  publish(roundId: string, event: LiveEvent): void {
    let buffer = this.buffers.get(roundId);
    if (buffer?.step !== event.step) {
      clearTimeout(buffer?.drop);
      this.buffers.delete(roundId);
      buffer = { step: event.step, events: [], chars: 0 };
      this.buffers.set(roundId, buffer);
      this.evict();
    }
    clearTimeout(buffer.drop);
    buffer.drop = undefined;
    if (event.type === 'token_reset') {
      buffer.events = [event];
      buffer.chars = 0;
    } else if (buffer.chars + event.text.length <= MAX_STEP_CHARS) {
      buffer.events.push(event);
      buffer.chars += event.text.length;
    }
    for (const listener of this.listeners.get(roundId) ?? []) listener(event);
  }

  /** Calls the listener with what is held for the round's current step, then with each new event until unsubscribed. */
  subscribe(roundId: string, listener: LiveListener): () => void {
    for (const event of this.snapshot(roundId)) listener(event);
    let set = this.listeners.get(roundId);
    if (!set) this.listeners.set(roundId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(roundId) === set) this.listeners.delete(roundId);
    };
  }

  /** What is held for the round's current step. */
  snapshot(roundId: string): LiveEvent[] {
    return [...(this.buffers.get(roundId)?.events ?? [])];
  }

  private ended(roundId: string, step: number): void {
    const buffer = this.buffers.get(roundId);
    if (buffer?.step !== step) return;
    clearTimeout(buffer.drop);
    buffer.drop = setTimeout(() => {
      if (this.buffers.get(roundId) === buffer) this.buffers.delete(roundId);
    }, this.lingerMs).unref();
  }

  private evict(): void {
    while (this.buffers.size > MAX_ROUNDS) {
      const ended = [...this.buffers].find(([, buffer]) => buffer.drop !== undefined);
      const [roundId, buffer] = ended ?? this.buffers.entries().next().value!;
      clearTimeout(buffer.drop);
      this.buffers.delete(roundId);
    }
  }
}

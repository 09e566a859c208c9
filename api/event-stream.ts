// Streams a round's events as Server-Sent Events. Events come from the workflow (the `events` query), so
// any API replica serves any stream, and a client resuming with Last-Event-ID misses nothing. Beside them, for
// readers who may see the model's text, the live events the workers serve (live-relay.ts): best-effort, never
// in the way of a durable event.
import { setTimeout as sleep } from 'node:timers/promises';
import { eventsQuery, type EventPage, type LiveEvent, type RoundEvent } from '../workflows/contract.ts';
import type { ApiContext } from './api-context.ts';
import { HistoryWatcher } from './history-watcher.ts';
import { relayLiveEvents } from './live-relay.ts';
import { isNotFound } from './temporal-errors.ts';

export interface EventSink {
  event(event: RoundEvent): void | Promise<void>;
  comment(text: string): void;
  /** Live events (the model's text as it streams); absent for a reader who may not see it. */
  live?(event: LiveEvent): void;
  warn(message: string, error?: unknown): void;
}

const MAX_RETRY_DELAY_MS = 10_000;

async function queryPage(
  context: ApiContext,
  roundId: string,
  afterId: number,
  sink: EventSink,
  signal: AbortSignal,
): Promise<EventPage> {
  const handle = context.client.workflow.getHandle(roundId);
  // Only failures are retried with backoff: a query needs a worker, and workers may be restarting.
  for (let delay = 500; ; delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS)) {
    try {
      return await context.client.withDeadline(Date.now() + context.workerWaitMs, () =>
        handle.query(eventsQuery, afterId),
      );
    } catch (error) {
      if (isNotFound(error) || signal.aborted) throw error;
      sink.comment('waiting for a worker to answer');
      await sleep(delay, undefined, { signal });
    }
  }
}

/**
 * Writes every event after `afterId` until the round's final event, or until the signal aborts, and live events
 * in between when the sink takes them.
 */
export async function streamRoundEvents(
  context: ApiContext,
  roundId: string,
  afterId: number,
  sink: EventSink,
  signal: AbortSignal,
): Promise<void> {
  const live = sink.live?.bind(sink);
  if (!live) return streamDurableEvents(context, roundId, afterId, sink, signal);
  // Ends with the durable stream: no text after the round's final event.
  const stop = new AbortController();
  const relay = relayLiveEvents({
    roundId,
    workers: context.liveWorkers,
    signer: context.signer,
    send: (event) => {
      if (!stop.signal.aborted) live(event);
    },
    warn: (message, error) => sink.warn(message, error),
    signal: AbortSignal.any([signal, stop.signal]),
  });
  try {
    await streamDurableEvents(context, roundId, afterId, sink, signal);
  } finally {
    stop.abort();
    await relay;
  }
}

async function streamDurableEvents(
  context: ApiContext,
  roundId: string,
  afterId: number,
  sink: EventSink,
  signal: AbortSignal,
): Promise<void> {
  const watcher = new HistoryWatcher(context, roundId);
  let lastId = afterId;
  for (;;) {
    const page = await queryPage(context, roundId, lastId, sink, signal);
    if (page.firstAvailableId > lastId + 1 && page.events.length > 0) {
      sink.comment(`events ${lastId + 1}-${page.firstAvailableId - 1} are no longer kept by the round`);
    }
    for (const event of page.events) {
      await sink.event(event);
      lastId = event.id;
    }
    if (page.done) return;
    const wakeup = await watcher.next(signal);
    if (wakeup === 'closed') {
      // A round that closed without a final event (terminated, say): send what is left and stop.
      const rest = await queryPage(context, roundId, lastId, sink, signal);
      for (const event of rest.events) await sink.event(event);
      return;
    }
  }
}

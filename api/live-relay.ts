// A round's live events for one client stream: the API follows every live worker's /v1/live/{roundId} with a
// signed request (only the worker running the round's LLM call has any, and which one that is changes with
// retries and failover), checks what each sends against the contract and merges them (live-merge.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLiveAuthorization } from '../runtime/live-authorization.ts';
import { readSse } from '../runtime/sse.ts';
import type { Signer } from '../runtime/signing.ts';
import { LiveEvent } from '../workflows/contract/live.ts';
import { LiveMerge } from './live-merge.ts';
import type { LiveWorkers } from './live-workers.ts';

/** How often the relay asks which workers there are, so a worker started mid-round is followed too. */
const REDISCOVER_MS = 2_000;
/** A worker that refuses or drops the stream is asked again after this, doubling up to the maximum. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;

export interface LiveRelayOptions {
  roundId: string;
  workers: LiveWorkers;
  signer: Signer;
  /** Called with each event the client is to get, in order. */
  send(event: LiveEvent): void;
  /** Told what a worker refused (a signature, say) or sent wrong. */
  warn(message: string, error?: unknown): void;
  signal: AbortSignal;
}

/** The header a worker checks: the API's signature of the round id and the time, valid for a minute. */
function liveAuthorization(signer: Signer, roundId: string): string {
  const issuedAt = new Date().toISOString();
  return formatLiveAuthorization(signer.liveStream(roundId, issuedAt), issuedAt);
}

/** Relays until `signal` aborts; never throws (tokens are best-effort: durable events go on without them). */
export async function relayLiveEvents(options: LiveRelayOptions): Promise<void> {
  const { signal } = options;
  const merge = new LiveMerge();
  const followed = new Map<string, { stop: AbortController; done: Promise<void> }>();
  while (!signal.aborted) {
    let urls: string[] | undefined;
    try {
      urls = await options.workers.urls();
    } catch (error) {
      options.warn('cannot list the live workers', error);
    }
    if (urls) {
      for (const url of urls) {
        if (followed.has(url)) continue;
        const stop = new AbortController();
        const both = AbortSignal.any([signal, stop.signal]);
        followed.set(url, { stop, done: followWorker(url, merge, options, both) });
      }
      // A worker gone from the task queue's pollers is no longer followed.
      for (const [url, follower] of followed) {
        if (urls.includes(url)) continue;
        follower.stop.abort();
        followed.delete(url);
      }
    }
    await sleep(REDISCOVER_MS, undefined, { signal }).catch(() => undefined);
  }
  await Promise.all([...followed.values()].map((follower) => follower.done));
}

async function followWorker(url: string, merge: LiveMerge, options: LiveRelayOptions, signal: AbortSignal) {
  const endpoint = `${url}/v1/live/${encodeURIComponent(options.roundId)}`;
  for (let delay = FIRST_RETRY_MS; !signal.aborted;) {
    try {
      const response = await fetch(endpoint, {
        headers: { authorization: liveAuthorization(options.signer, options.roundId), accept: 'text/event-stream' },
        signal,
      });
      if (response.status !== 200 || !response.body) {
        options.warn(`live worker ${url} answered ${response.status}`);
        await response.body?.cancel();
      } else {
        for await (const message of readSse(response.body)) {
          if (message.data === undefined) continue;
          const event = parseLive(message.data);
          if (!event.success) {
            options.warn(`live worker ${url} sent an event that is not a live event`, event.error);
            continue;
          }
          // A worker that sends events answers: the next drop is a new failure.
          delay = FIRST_RETRY_MS;
          for (const shown of merge.accept(url, event.data)) options.send(shown);
        }
      }
    } catch {
      // Not reachable (a worker that died stays among the pollers for a while): asked again below, quietly.
    }
    await sleep(delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
}

function parseLive(data: string) {
  try {
    return LiveEvent.safeParse(JSON.parse(data));
  } catch (error) {
    return { success: false as const, error };
  }
}

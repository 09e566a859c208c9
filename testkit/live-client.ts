// Reads a worker's live stream (GET /v1/live/{roundId}) as an API replica would: for tests and the benchmark.
import { readSse } from '../runtime/sse.ts';
import { LiveEvent } from '../workflows/contract.ts';
import { testLiveAuthorization } from './signing.ts';

export interface LiveRead {
  status: number;
  events: LiveEvent[];
  /** When each event arrived (Date.now()), by index. */
  arrivals: number[];
  comments: string[];
}

/**
 * Collects a round's live events until `until` says stop or the time is up (then the connection is closed).
 * Signed with the test key unless `authorization` says otherwise (null: no header at all).
 */
export async function readLive(
  liveUrl: string,
  roundId: string,
  options: { authorization?: string | null; until?: (events: LiveEvent[]) => boolean; timeoutMs?: number } = {},
): Promise<LiveRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 20_000);
  const authorization = options.authorization === undefined ? testLiveAuthorization(roundId) : options.authorization;
  const read: LiveRead = { status: 0, events: [], arrivals: [], comments: [] };
  try {
    const response = await fetch(`${liveUrl}/v1/live/${roundId}`, {
      headers: authorization === null ? {} : { authorization },
      signal: controller.signal,
    });
    read.status = response.status;
    if (response.status !== 200) return read;
    for await (const message of readSse(response.body!)) {
      read.comments.push(...message.comments);
      if (message.data === undefined) continue;
      const event = LiveEvent.parse(JSON.parse(message.data));
      if (message.event !== event.type) throw new Error(`event ${message.event} carries a ${event.type}`);
      read.events.push(event);
      read.arrivals.push(Date.now());
      if (options.until?.(read.events)) break;
    }
    return read;
  } catch (error) {
    if (controller.signal.aborted) return read;
    throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

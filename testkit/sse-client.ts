// Event streams for tests: read until told to stop, or keep one open while the server dies.
import { readSse } from '../runtime/sse.ts';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
  /** When it arrived (Date.now()), to set against when it was sent. */
  at: number;
}

function connect(
  url: string,
  options: { token: string; lastEventId?: number },
  signal: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    headers: {
      authorization: `Bearer ${options.token}`,
      accept: 'text/event-stream',
      ...(options.lastEventId === undefined ? {} : { 'last-event-id': String(options.lastEventId) }),
    },
    signal,
  });
}

/** Collects events until `until` says stop (then the connection is closed) or the stream ends. */
export async function readEvents(
  url: string,
  options: { token: string; lastEventId?: number; until?: (event: SseEvent) => boolean; timeoutMs?: number },
): Promise<{ events: SseEvent[]; ended: boolean; comments: string[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  try {
    const response = await connect(url, options, controller.signal);
    if (response.status !== 200) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
    for await (const message of readSse(response.body!)) {
      comments.push(...message.comments);
      if (message.data === undefined) continue;
      const event = { id: message.id, event: message.event, data: message.data, at: Date.now() };
      events.push(event);
      if (options.until?.(event)) {
        controller.abort();
        return { events, ended: false, comments };
      }
    }
    return { events, ended: true, comments };
  } catch (error) {
    if (controller.signal.aborted && events.length > 0) return { events, ended: false, comments };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A stream kept open: events arrive in `events` as they come, `closed` settles when the connection ends
 * (by the server, a dropped socket, or `close()`), so a test can kill the server while the stream is live.
 */
export function openEvents(url: string, options: { token: string; lastEventId?: number }) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  const closed = (async (): Promise<{ ended: boolean; error?: string }> => {
    try {
      const response = await connect(url, options, controller.signal);
      if (response.status !== 200) return { ended: false, error: `stream answered ${response.status}` };
      for await (const message of readSse(response.body!)) {
        if (message.data !== undefined)
          events.push({ id: message.id, event: message.event, data: message.data, at: Date.now() });
      }
      return { ended: true };
    } catch (error) {
      return {
        ended: false,
        error:
          error instanceof Error
            ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
            : String(error),
      };
    }
  })();
  return { events, closed, close: () => controller.abort() };
}

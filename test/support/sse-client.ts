// A minimal Server-Sent Events reader over fetch, for tests: collects events until told to stop.
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export async function readEvents(
  url: string,
  options: { token: string; lastEventId?: number; until?: (event: SseEvent) => boolean; timeoutMs?: number },
): Promise<{ events: SseEvent[]; ended: boolean; comments: string[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const events: SseEvent[] = [];
  const comments: string[] = [];
  try {
    const response = await fetch(url, {
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'text/event-stream',
        ...(options.lastEventId === undefined ? {} : { 'last-event-id': String(options.lastEventId) }),
      },
      signal: controller.signal,
    });
    if (response.status !== 200) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event: SseEvent = { data: '' };
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            event.data += line.slice(6);
            isEvent = true;
          }
        }
        if (!isEvent) continue;
        events.push(event);
        if (options.until?.(event)) {
          controller.abort();
          return { events, ended: false, comments };
        }
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
      const response = await fetch(url, {
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'text/event-stream',
          ...(options.lastEventId === undefined ? {} : { 'last-event-id': String(options.lastEventId) }),
        },
        signal: controller.signal,
      });
      if (response.status !== 200) return { ended: false, error: `stream answered ${response.status}` };
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event: SseEvent = { data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
          }
          if (event.data) events.push(event);
        }
      }
      return { ended: true };
    } catch (error) {
      return { ended: false, error: error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error) };
    }
  })();
  return { events, closed, close: () => controller.abort() };
}

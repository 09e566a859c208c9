// Resuming the bridge's broken gateway streams. A task-less tools/call's SSE response carries event ids
// (api/gateway-resume.ts); when such a stream breaks, the SDK transport reconnects on its own with `GET /mcp` and
// `Last-Event-ID`, and any API replica behind the bridge's address answers the ORIGINAL request. The SDK reports a
// reconnection it gave up on only through `onerror`, without a request id: this module keeps, per request, the
// event id it will resume from and how many reconnections in a row failed, so the bridge knows whom to answer.
import type { StreamableHTTPReconnectionOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { reasonOf } from './api-client.ts';

/**
 * Long enough for an API restart or a load balancer moving to another replica behind the same address: ten
 * reconnections 0.5, 0.75, 1.1, 1.7, 2.5, 3.8 s apart, then every 5 s, about 30 s in all (the SDK's default, two
 * tries over 2.5 s, ends before a replica is back). Well inside the 60 s an SDK client waits for an answer.
 */
export const RECONNECTION: StreamableHTTPReconnectionOptions = {
  initialReconnectionDelay: 500,
  reconnectionDelayGrowFactor: 1.5,
  maxReconnectionDelay: 5_000,
  maxRetries: 10,
};

/** The time the reconnections above wait in all, without the attempts themselves. */
export const RESUME_WINDOW_MS = Array.from({ length: RECONNECTION.maxRetries }, (_, attempt) =>
  Math.min(
    RECONNECTION.initialReconnectionDelay * RECONNECTION.reconnectionDelayGrowFactor ** attempt,
    RECONNECTION.maxReconnectionDelay,
  ),
).reduce((sum, delay) => sum + delay, 0);

/**
 * How long one reconnection may wait for the API's response headers: an address that swallows packets (a host
 * gone, not refusing) would otherwise hold each attempt for the OS's connect timeout.
 */
const ATTEMPT_TIMEOUT_MS = 5_000;

interface Resuming {
  /** The last event id the SDK read on the request's stream: its `Last-Event-ID` when it reconnects. */
  lastEventId: string;
  /** Reconnections that failed since the stream last opened (the SDK counts the same way and gives up at max). */
  failures: number;
  lastFailure?: string;
}

export interface ResumeFailure {
  id: RequestId;
  reason: string;
}

export class Resumptions {
  private readonly requests = new Map<RequestId, Resuming>();

  /** `onresumptiontoken` of a request the client still waits for: its stream can be resumed from `eventId`. */
  track(id: RequestId, eventId: string): void {
    const known = this.requests.get(id);
    if (known) known.lastEventId = eventId;
    else this.requests.set(id, { lastEventId: eventId, failures: 0 });
  }

  /** The request is answered (or the client cancelled it): nothing of it is resumed any more. */
  settle(id: RequestId): void {
    this.requests.delete(id);
  }

  /** Requests whose reconnections all failed: the SDK will not try again, the bridge answers them. */
  exhausted(): ResumeFailure[] {
    return [...this.requests]
      .filter(([, resuming]) => resuming.failures >= RECONNECTION.maxRetries)
      .map(([id, resuming]) => ({ id, reason: resuming.lastFailure ?? 'no replica answered' }));
  }

  private owner(lastEventId: string): [RequestId, Resuming] | undefined {
    for (const entry of this.requests) if (entry[1].lastEventId === lastEventId) return entry;
    return undefined;
  }

  /**
   * `fetch` for the SDK's reconnections (`GET /mcp` with `Last-Event-ID`), counting what each request's came to.
   * `unsupported` hears of an API that answers 405 (it does not resume): the SDK then stops without a word.
   */
  reconnect(input: string | URL | Request, init: RequestInit, unsupported: (failure: ResumeFailure) => void) {
    const eventId = new Headers(init.headers).get('last-event-id');
    const owner = eventId === null ? undefined : this.owner(eventId);
    if (eventId !== null && !owner) {
      // Its request is answered (an error answer does not stop the SDK's reconnecting) or cancelled: a 405 ends
      // the SDK's attempts for that stream without another trip to the API.
      return Promise.resolve(new Response(null, { status: 405 }));
    }
    if (!owner) return fetch(input, init);
    const [id, resuming] = owner;
    return this.attempt(input, init).then(
      (response) => {
        if (response.ok) resuming.failures = 0;
        else if (response.status === 405) unsupported({ id, reason: 'the API does not resume streams (405)' });
        else this.failed(resuming, `the API answered ${response.status}`);
        return response;
      },
      (error: unknown) => {
        this.failed(resuming, reasonOf(error));
        throw error;
      },
    );
  }

  private failed(resuming: Resuming, reason: string): void {
    resuming.failures += 1;
    resuming.lastFailure = reason;
  }

  private async attempt(input: string | URL | Request, init: RequestInit): Promise<Response> {
    // Only until the headers: the stream itself may then wait for an approval as long as it takes.
    const connecting = new AbortController();
    const timer = setTimeout(
      () => connecting.abort(new Error(`no answer in ${ATTEMPT_TIMEOUT_MS / 1000} s`)),
      ATTEMPT_TIMEOUT_MS,
    );
    const signal = init.signal ? AbortSignal.any([init.signal, connecting.signal]) : connecting.signal;
    try {
      return await fetch(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Whether an SSE byte stream carried an event id yet (then the SDK resumes it when it breaks), line by line. */
export class EventIdWatch {
  private readonly decoder = new TextDecoder();
  private tail = '';
  seen = false;

  read(chunk: Uint8Array): void {
    if (this.seen) return;
    const lines = (this.tail + this.decoder.decode(chunk, { stream: true })).split(/\r\n|\r|\n/);
    this.tail = lines.pop() ?? '';
    this.seen = lines.some((line) => /^id: ?\S/.test(line));
  }
}

// The CLI's view of the HTTP API: JSON requests with typed failures, and a resuming SSE reader.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../runtime/api-error.ts';
import { readSse } from '../runtime/sse.ts';
import { LiveEvent, type RoundEvent, type RoundState } from '../workflows/contract.ts';

const REQUEST_TIMEOUT_MS = 60_000;
/** The server writes a keep-alive comment every 15 s; silence for longer means a dead connection. */
const STREAM_IDLE_MS = 45_000;
const STREAM_RETRIES = 5;
const FIRST_RETRY_DELAY_MS = 500;

/** No HTTP answer at all: refused, DNS, reset, timed out. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
  readonly url: string;

  constructor(url: string, reason: string) {
    super(reason);
    this.url = url;
  }
}

export function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : String(error);
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } & Record<string, unknown> };
    if (error && typeof error.code === 'string') {
      const { code, message, ...details } = error;
      return new ApiError(response.status, code, typeof message === 'string' ? message : response.statusText, details);
    }
  } catch {
    // Not the API's JSON error shape (a proxy, say): report the raw text below.
  }
  return new ApiError(response.status, 'http_error', text.trim().slice(0, 200) || response.statusText);
}

export interface StreamOptions {
  /** Resume after this event id (Last-Event-ID). */
  afterId?: number;
  onEvent(event: RoundEvent): void;
  /** Live events (the model's text as it streams): best-effort, not resumed. */
  onLive?: (event: LiveEvent) => void;
  /** Told when the stream dropped and is being resumed. */
  onReconnect?(attempt: number, lastId: number, reason: string): void;
}

function isFinal(event: RoundEvent): boolean {
  return event.type === 'round_completed' || event.type === 'round_failed';
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new ApiUnreachableError(url, reasonOf(error));
    }
    if (!response.ok) throw await errorFrom(response);
    try {
      return (await response.json()) as T;
    } catch (error) {
      throw new ApiUnreachableError(url, `unreadable answer: ${reasonOf(error)}`);
    }
  }

  /**
   * Follows a round's events until its final event, resuming with Last-Event-ID when the stream drops,
   * so every event is delivered once. Returns the final event.
   */
  async followEvents(roundId: string, options: StreamOptions): Promise<RoundEvent> {
    const url = `${this.baseUrl}/v1/rounds/${encodeURIComponent(roundId)}/events`;
    let lastId = options.afterId ?? 0;
    let failures = 0;
    const deliver = (event: RoundEvent) => {
      // A resumed stream never repeats, but guard anyway: the id is the order.
      if (event.id <= lastId) return;
      lastId = event.id;
      options.onEvent(event);
    };
    for (;;) {
      let reason: string;
      const before = lastId;
      try {
        const final = await this.#readStream(url, lastId, deliver, options.onLive);
        if (final) return final;
        // A round that ended without a final event (terminated, say) ends every stream early: ask its state.
        const ended = await this.#endedRound(roundId, lastId);
        if (ended) {
          // Events may have been added after the stream broke: take them before concluding.
          const rest = await this.#readStream(url, lastId, deliver, options.onLive);
          if (rest) return rest;
          options.onEvent(ended);
          return ended;
        }
        reason = 'the stream ended before the round did';
      } catch (error) {
        if (error instanceof ApiError && ![502, 503, 504].includes(error.status)) throw error;
        reason = error instanceof ApiError ? `${error.status} ${error.code}` : reasonOf(error);
      }
      failures = lastId > before ? 1 : failures + 1;
      if (failures > STREAM_RETRIES) throw new ApiUnreachableError(url, `event stream lost (${reason})`);
      options.onReconnect?.(failures, lastId, reason);
      await sleep(FIRST_RETRY_DELAY_MS * 2 ** (failures - 1));
    }
  }

  async #endedRound(roundId: string, lastId: number): Promise<RoundEvent | undefined> {
    const state = await this.request<RoundState>('GET', `/v1/rounds/${encodeURIComponent(roundId)}`);
    const at = new Date().toISOString();
    if (state.status === 'completed')
      return { type: 'round_completed', answer: state.answer ?? '', steps: state.step, id: lastId, at };
    if (state.status === 'failed' || state.status === 'cancelled') {
      return {
        type: 'round_failed',
        error: state.error ?? { type: state.status, message: `The round is ${state.status}` },
        id: lastId,
        at,
      };
    }
    return undefined;
  }

  /** One connection: delivers events, returns the final event if it came, or undefined when the stream ended early. */
  async #readStream(
    url: string,
    afterId: number,
    deliver: (event: RoundEvent) => void,
    onLive: ((event: LiveEvent) => void) | undefined,
  ): Promise<RoundEvent | undefined> {
    const controller = new AbortController();
    let idle = setTimeout(() => controller.abort(new Error('no data from the stream')), STREAM_IDLE_MS);
    const keepAlive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new Error('no data from the stream')), STREAM_IDLE_MS);
    };
    try {
      const response = await fetch(url, {
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'text/event-stream',
          ...(afterId > 0 ? { 'last-event-id': String(afterId) } : {}),
        },
        signal: controller.signal,
      });
      if (!response.ok) throw await errorFrom(response);
      if (!response.body) return undefined;
      for await (const message of readSse(response.body)) {
        keepAlive();
        if (message.data === undefined) continue;
        // Live events carry no id (Last-Event-ID names durable events only); what is not one is skipped.
        if (message.id === undefined) {
          const live = LiveEvent.safeParse(JSON.parse(message.data));
          if (live.success) onLive?.(live.data);
          continue;
        }
        const event = JSON.parse(message.data) as RoundEvent;
        deliver(event);
        if (isFinal(event)) return event;
      }
      return undefined;
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(idle);
      controller.abort();
    }
  }
}

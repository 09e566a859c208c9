// Every payload a round's history holds, wherever an event keeps one (inputs, results, signal and update
// arguments, memo, search attributes, headers, failure details, user metadata), so a test can search what the
// codec would show in the clear: a search of the raw history only ever sees sealed bytes.
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { EncryptionCodec } from '../../runtime/payload-codec.ts';

export interface FoundPayload {
  /** Where in the history, e.g. `events[0].workflowExecutionStartedEventAttributes.input.payloads[0]`. */
  path: string;
  payload: Payload;
}

function isPayload(value: object): value is Payload {
  const { metadata, data } = value as Payload;
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    Object.values(metadata).every((item) => item instanceof Uint8Array) &&
    (data === undefined || data === null || data instanceof Uint8Array)
  );
}

/** Walks every field of every event, not a list of the attributes known today, so new ones are covered too. */
export function historyPayloads(history: temporal.api.history.v1.IHistory): FoundPayload[] {
  const found: FoundPayload[] = [];
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (Array.isArray(value)) return value.forEach((item, index) => visit(item, `${path}[${index}]`));
    if ('metadata' in value && isPayload(value)) {
      found.push({ path, payload: value });
      return;
    }
    for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
  };
  (history.events ?? []).forEach((event, index) => visit(event, `events[${index}]`));
  return found;
}

/** A payload as readable text: its metadata and its data. */
export function payloadText(payload: Payload): string {
  const decoder = new TextDecoder();
  const metadata = Object.entries(payload.metadata ?? {}).map(([key, value]) => `${key}=${decoder.decode(value)}`);
  return [...metadata, decoder.decode(payload.data ?? new Uint8Array())].join('\n');
}

/** Each payload opened with the codec (unsealed ones pass unchanged), as text, with where it was found. */
export async function decodedHistoryTexts(
  history: temporal.api.history.v1.IHistory,
  codec: EncryptionCodec,
): Promise<Array<{ path: string; text: string }>> {
  const found = historyPayloads(history);
  const opened = await codec.decode(found.map(({ payload }) => payload));
  return found.map(({ path }, index) => ({ path, text: payloadText(opened[index]!) }));
}

/** The wire form `/codec/decode` takes and answers: base64 metadata values and data. */
export interface WirePayload {
  metadata: Record<string, string>;
  data: string;
}

export function toWire(payload: Payload): WirePayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

export function wireText(payload: WirePayload): string {
  const metadata = Object.entries(payload.metadata).map(
    ([key, value]) => `${key}=${Buffer.from(value, 'base64').toString('utf8')}`,
  );
  return [...metadata, Buffer.from(payload.data, 'base64').toString('utf8')].join('\n');
}

// The event ids of a gateway call's response stream come back in a Last-Event-ID header: only ids this gateway
// could have written decode (the route still checks who owns the round).
import { describe, expect, it } from 'vitest';
import { decodeEventId, encodeEventId, resumableCall } from '../../api/gateway-resume.ts';

const cursor = {
  round: 'mcp-0b6f5a1e-3c1d-4f0e-9a43-6d2c1b7e8f90',
  request: 7,
  progressToken: 7,
  seq: 3,
  progress: 2,
};
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('gateway call event ids', () => {
  it('round-trips what the gateway writes', () => {
    expect(decodeEventId(encodeEventId(cursor))).toEqual(cursor);
  });

  it('refuses anything else', () => {
    for (const eventId of [
      '',
      'not base64url!',
      encoded({ ...cursor, round: 'round-0b6f5a1e-3c1d-4f0e-9a43-6d2c1b7e8f90' }),
      encoded({ ...cursor, extra: true }),
      encoded({ ...cursor, seq: -1 }),
      encoded({ ...cursor, request: 'x'.repeat(201) }),
      encoded({ ...cursor, progressToken: 'x'.repeat(900) }),
      Buffer.from('not json').toString('base64url'),
    ]) {
      expect(decodeEventId(eventId)).toBeUndefined();
    }
  });

  it('numbers a task-less call stream from its priming event, counting progress notices', async () => {
    const call = resumableCall({
      jsonrpc: '2.0',
      id: 4,
      method: 'tools/call',
      params: { name: 'k8s__echo', arguments: {}, _meta: { progressToken: 4 } },
    })!;
    expect(call.roundId).toMatch(/^mcp-[0-9a-f-]{36}$/);
    const priming = decodeEventId(await call.eventStore.storeEvent('stream', {} as never));
    expect(priming).toEqual({ round: call.roundId, request: 4, progressToken: 4, seq: 0, progress: 0 });
    const notice = await call.eventStore.storeEvent('stream', {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 4, progress: 1 },
    });
    expect(decodeEventId(notice)).toMatchObject({ seq: 1, progress: 1 });
    // A task, another method or a batch answers at once: no resumable stream.
    for (const body of [
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'k8s__echo', task: {} } },
      { jsonrpc: '2.0', id: 6, method: 'tools/list', params: {} },
      [{ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'k8s__echo' } }],
    ]) {
      expect(resumableCall(body)).toBeUndefined();
    }
  });
});

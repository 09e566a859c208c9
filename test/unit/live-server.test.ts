import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../activities/live-hub.ts';
import { createLogger } from '../../runtime/logger.ts';
import { loadPublicKeys } from '../../runtime/signing.ts';
import { readLive } from '../../testkit/live-client.ts';
import { TEST_SIGNING, testLiveAuthorization } from '../../testkit/signing.ts';
import { startLiveServer, type LiveServer } from '../../worker/live-server.ts';

describe("worker's live server", () => {
  const hub = new LiveHub();
  let server: LiveServer;

  beforeAll(async () => {
    const logger = createLogger('live-server-test');
    logger.level = 'silent';
    server = await startLiveServer({
      hub,
      settings: { host: '127.0.0.1', port: 0 },
      keys: loadPublicKeys(TEST_SIGNING),
      logger,
    });
  });
  afterAll(() => server.close());

  it('advertises http://host:port, or the configured url', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const logger = createLogger('live-server-test');
    const other = await startLiveServer({
      hub,
      settings: { host: '127.0.0.1', port: 0, url: 'http://worker-3.internal:7000' },
      keys: [],
      logger,
    });
    expect(other.url).toBe('http://worker-3.internal:7000');
    await other.close();
  });

  it('refuses unsigned, malformed, expired, future, other-round and wrong-key requests with a bare 401', async () => {
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const refused = [
      null,
      'Bearer secret',
      testLiveAuthorization('round-other'),
      testLiveAuthorization('round-a', at(-61_000)),
      testLiveAuthorization('round-a', at(61_000)),
      testLiveAuthorization('round-a', undefined, 'unknown-key'),
      // Another first byte of the signature (a fixed one is the signature's own one time in 256).
      testLiveAuthorization('round-a').replace(/sig=(..)/, (_, byte: string) => `sig=${byte === '00' ? 'ff' : '00'}`),
      testLiveAuthorization('round-a').replace(/at=.*/, 'at=yesterday'),
    ];
    for (const authorization of refused) {
      const response = await fetch(`${server.url}/v1/live/round-a`, {
        headers: authorization === null ? {} : { authorization },
      });
      expect({ authorization, status: response.status }).toEqual({ authorization, status: 401 });
      expect(await response.text()).toBe('');
    }
    expect((await fetch(`${server.url}/v1/live/not%20an%20id`)).status).toBe(404);
    expect((await fetch(`${server.url}/v1/other`)).status).toBe(404);
  });

  it('streams a round to a signed request: what the step holds first, then each event as it comes', async () => {
    const call = hub.call('round-b', 3, 1);
    call.publish('token', 'early ');
    const reading = readLive(server.url, 'round-b', { until: (events) => events.length === 3 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    hub.call('round-other', 1, 1).publish('token', 'not mine');
    call.publish('reasoning', 'why');
    call.publish('token', 'late');
    const read = await reading;
    expect(read.status).toBe(200);
    expect(read.events).toEqual([
      { type: 'token', step: 3, attempt: 1, seq: 0, text: 'early ' },
      { type: 'reasoning', step: 3, attempt: 1, seq: 0, text: 'why' },
      { type: 'token', step: 3, attempt: 1, seq: 1, text: 'late' },
    ]);
  });

  it('writes each event as `event: <type>` and `data: <json>`, without ids', async () => {
    hub.call('round-c', 1, 2).publish('token', 'x');
    const controller = new AbortController();
    const response = await fetch(`${server.url}/v1/live/round-c`, {
      headers: { authorization: testLiveAuthorization('round-c') },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('"text":"x"')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toBe(
      'event: token_reset\ndata: {"type":"token_reset","step":1,"attempt":2}\n\n' +
        'event: token\ndata: {"type":"token","step":1,"attempt":2,"seq":0,"text":"x"}\n\n',
    );
  });
});

// Request budgets, event stream slots and the codec's rounds per request, on the real API in front of a real
// worker: a principal over a budget gets 429 with Retry-After and a body naming the setting, others go on, the
// budget comes back, slots free on disconnect, and `limits.enabled: false` lets all of it through.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../runtime/config.ts';
import { CodecMetadata, dataConverterFor } from '../../runtime/payload-codec.ts';
import { startApi, TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const CODEC = { keys: [{ id: 'limits', secret: randomBytes(32).toString('base64') }] };
/** Budgets no test comes near, so each test meets only the limit it is about. */
const ROOMY = { perMinute: 10_000, burst: 10_000 };

describe('request limits', () => {
  const quick = `limits-quick-${randomUUID()}`;
  const gated = `limits-gated-${randomUUID()}`;
  let mcp: HttpMcpServer;
  let harness: Harness;
  const apis: ApiHarness[] = [];

  /**
   * An API of its own (own buckets and slots) with these limits and the test roles. With `codec` it serves
   * /codec/decode, and seals what it starts with a key the harness's worker lacks: such an API starts no rounds.
   */
  async function limitedApi(limits: Partial<LimitsConfig>, options: { codec?: boolean } = {}): Promise<ApiHarness> {
    const config = {
      ...harness.config,
      limits: { ...harness.config.limits, requests: { start: ROOMY, read: ROOMY }, ...limits },
    };
    const api = await startApi(
      options.codec
        ? {
            client: new Client({ connection: harness.connection, dataConverter: dataConverterFor(CODEC) }),
            config: { ...config, codec: CODEC },
          }
        : { client: harness.client, config },
      { roles: { auditor: ['audrey'], admin: ['adam'] } },
    );
    apis.push(api);
    return api;
  }

  const start = (api: ApiHarness, person: Person, query = quick) =>
    api.request(person, 'POST', '/v1/rounds', { query });

  /** Opens an event stream and waits for its answer's head; `close` hangs up. */
  async function openStream(api: ApiHarness, person: Person, roundId: string) {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/v1/rounds/${roundId}/events`, {
      headers: { authorization: `Bearer ${TOKENS[person]}` },
      signal: controller.signal,
    });
    const body = response.status === 200 ? undefined : ((await response.json()) as { error: object });
    return { response, body, close: () => controller.abort() };
  }

  const metric = async (api: ApiHarness, line: string) => {
    const text = (await api.request(undefined, 'GET', '/metrics')).body as string;
    return text.split('\n').find((candidate) => candidate.startsWith(line));
  };

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice'] },
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }],
    });
    harness.routes[quick] = scriptedSteps({ content: 'done' });
    harness.routes[gated] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'limits' } }] },
      { content: 'deleted' },
    );
  });

  afterAll(async () => {
    for (const api of apis) await api.close();
    await harness?.close();
    await mcp?.close();
  });

  it('refuses a principal over its start budget with 429 and Retry-After while another still starts, and lets it start again after', async () => {
    // A token back every 3 s: the two starts fit in that however slow the machine, and the wait stays short.
    const api = await limitedApi({ requests: { start: { perMinute: 20, burst: 2 }, read: ROOMY } });
    expect((await start(api, 'carol')).status).toBe(201);
    expect((await start(api, 'carol')).status).toBe(201);
    const refused = await start(api, 'carol');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(refused.body.error).toMatchObject({
      code: 'rate_limited',
      budget: 'start',
      setting: 'limits.requests.start',
      retryAfterSeconds: retryAfter,
    });
    expect(refused.body.error.message).toContain('a burst of 2, then 20 per minute');

    expect((await start(api, 'bob')).status).toBe(201);
    await sleep(retryAfter * 1000);
    expect((await start(api, 'carol')).status).toBe(201);
    expect(await metric(api, 'toolgate_api_throttled_total{budget="start",principal="carol"}')).toMatch(/ 1$/);
  });

  it('keeps reads on their own budget: throttled on starts, a principal still reads until its read budget is spent', async () => {
    // One read a minute back: nothing refills while the test runs.
    const api = await limitedApi({
      requests: { start: { perMinute: 1, burst: 1 }, read: { perMinute: 1, burst: 4 } },
    });
    const roundId = (await start(api, 'carol')).body.roundId as string;
    expect((await start(api, 'carol')).status).toBe(429);
    for (let read = 0; read < 4; read++) {
      expect((await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).status).toBe(200);
    }
    const refused = await api.request('carol', 'GET', '/v1/approvals');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ budget: 'read', setting: 'limits.requests.read' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(30);

    // Another principal's budget is its own; no token fails authentication first; health and metrics stay open.
    expect((await api.request('audrey', 'GET', `/v1/rounds/${roundId}`)).status).toBe(200);
    expect((await api.request(undefined, 'GET', `/v1/rounds/${roundId}`)).status).toBe(401);
    const wrongToken = { authorization: 'Bearer not-a-token-of-anyone' };
    expect((await api.request(undefined, 'GET', `/v1/rounds/${roundId}`, undefined, wrongToken)).status).toBe(401);
    for (let probe = 0; probe < 6; probe++) {
      expect((await api.request(undefined, 'GET', '/healthz')).status).toBe(200);
    }
    expect(await metric(api, 'toolgate_api_throttled_total{budget="read",principal="carol"}')).toMatch(/ 1$/);
    expect(await metric(api, 'toolgate_api_throttled_total{budget="start",principal="carol"}')).toMatch(/ 1$/);
  });

  it('bounds open event streams per principal and in total, answering 429 before any stream byte, and frees a slot on disconnect', async () => {
    const api = await limitedApi({ streams: { perPrincipal: 2, total: 3 } });
    const roundId = (await start(api, 'carol', gated)).body.roundId as string;
    const carol = [await openStream(api, 'carol', roundId), await openStream(api, 'carol', roundId)];
    expect(carol.map(({ response }) => response.status)).toEqual([200, 200]);

    const third = await openStream(api, 'carol', roundId);
    expect(third.response.status).toBe(429);
    expect(third.response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(third.response.headers.get('retry-after')).toBe('5');
    expect(third.body?.error).toMatchObject({
      code: 'rate_limited',
      budget: 'stream',
      setting: 'limits.streams.perPrincipal',
    });

    const audrey = await openStream(api, 'audrey', roundId);
    expect(audrey.response.status).toBe(200);
    const adam = await openStream(api, 'adam', roundId);
    expect(adam.response.status).toBe(429);
    expect(adam.body?.error).toMatchObject({ budget: 'stream', setting: 'limits.streams.total' });
    expect(await metric(api, 'toolgate_api_event_streams_open')).toBe('toolgate_api_event_streams_open 3');

    carol[0]!.close();
    let admitted: Awaited<ReturnType<typeof openStream>> | undefined;
    await expect
      .poll(
        async () => {
          admitted = await openStream(api, 'adam', roundId);
          return admitted.response.status;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBe(200);
    expect(await metric(api, 'toolgate_api_throttled_total{budget="stream",principal="carol"}')).toMatch(/ 1$/);
    for (const stream of [carol[1]!, audrey, admitted!]) stream.close();
    // At once, though the round waits on: the streams' long polls on its history are abandoned with them.
    await expect
      .poll(() => metric(api, 'toolgate_api_event_streams_open'), { timeout: 5000 })
      .toBe('toolgate_api_event_streams_open 0');
  });

  it('refuses a codec request touching more rounds than limits.codecRoundsPerRequest with 413 before looking any up', async () => {
    const api = await limitedApi({ codecRoundsPerRequest: 3 }, { codec: true });
    const labelled = (round: string, namespace?: string) => ({
      metadata: {
        [CodecMetadata.round]: Buffer.from(round).toString('base64'),
        ...(namespace ? { [CodecMetadata.namespace]: Buffer.from(namespace).toString('base64') } : {}),
      },
      data: Buffer.from('sealed').toString('base64'),
    });
    // Three rounds, each many times, and rounds of another namespace (never looked up): within the limit.
    const within = [1, 2, 3, 1, 2, 3, 1].map((n) => labelled(`codec-round-${n}`));
    const elsewhere = [4, 5, 6].map((n) => labelled(`codec-round-${n}`, 'another-namespace'));
    const passed = await api.request('carol', 'POST', '/codec/decode', { payloads: [...within, ...elsewhere] });
    expect(passed.status).toBe(200);
    expect(passed.body.payloads).toHaveLength(10);

    const refused = await api.request('carol', 'POST', '/codec/decode', {
      payloads: [...within, labelled('codec-round-4')],
    });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({
      code: 'too_many_rounds',
      budget: 'codec',
      setting: 'limits.codecRoundsPerRequest',
      rounds: 4,
      maxRounds: 3,
    });
    expect(await metric(api, 'toolgate_api_throttled_total{budget="codec",principal="carol"}')).toMatch(/ 1$/);
  });

  it('lets everything through with limits.enabled: false', async () => {
    const tight = { perMinute: 1, burst: 1 };
    const off = {
      enabled: false,
      requests: { start: tight, read: tight },
      streams: { perPrincipal: 1, total: 1 },
      codecRoundsPerRequest: 1,
    };
    const api = await limitedApi(off);
    const codecApi = await limitedApi(off, { codec: true });
    const started = await Promise.all(Array.from({ length: 5 }, () => start(api, 'carol')));
    expect(started.map(({ status }) => status)).toEqual([201, 201, 201, 201, 201]);
    const roundId = (await start(api, 'carol', gated)).body.roundId as string;
    for (let read = 0; read < 5; read++) {
      expect((await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).status).toBe(200);
    }
    const streams = [await openStream(api, 'carol', roundId), await openStream(api, 'carol', roundId)];
    expect(streams.map(({ response }) => response.status)).toEqual([200, 200]);
    for (const stream of streams) stream.close();
    const payloads = ['a', 'b'].map((round) => ({
      metadata: { [CodecMetadata.round]: Buffer.from(`codec-${round}`).toString('base64') },
    }));
    expect((await codecApi.request('carol', 'POST', '/codec/decode', { payloads })).status).toBe(200);
    for (const each of [api, codecApi]) expect(await metric(each, 'toolgate_api_throttled_total{')).toBeUndefined();
  });
});

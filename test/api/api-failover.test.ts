// An API instance SIGKILLed mid-stream: the client resumes on another instance with Last-Event-ID and
// misses nothing, because events live in the workflow, not in the API process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer } from '../../scripts/dev-server.ts';
import { freePort } from '../../scripts/ports.ts';
import { startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { spawnApi, writeConfig } from '../../testkit/services.ts';
import { openEvents, readEvents } from '../../testkit/sse-client.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

describe('API failover', () => {
  let stack: K8sApi;
  let harness: Harness;
  let survivor: ApiHarness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    stack = await startK8sApi({ approvers: ['alice'] });
    ({ mcp, harness, api: survivor } = stack);
  });

  afterAll(() => stack?.close());

  it('resumes a stream on a second instance after the first is SIGKILLed', async () => {
    const port = await freePort();
    const configPath = writeConfig(join(mkdtempSync(join(tmpdir(), 'toolgate-failover-')), 'api.yaml'), {
      temporal: { address: inject('temporalAddress'), taskQueue: harness.config.temporal.taskQueue },
      llm: { baseURL: harness.llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      api: { port, tokens: Object.entries(TOKENS).map(([principal, token]) => ({ principal, token })) },
    });
    const doomed = await spawnApi(configPath);
    const doomedUrl = `http://127.0.0.1:${port}`;
    harness.routes['f-kill'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'f-kill' } }] },
      { content: 'done' },
    );
    const started = await fetch(`${doomedUrl}/v1/rounds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.carol}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'f-kill' }),
    }).then((response) => response.json() as Promise<{ roundId: string }>);
    harness.roundIds.push(started.roundId);

    // The stream stays open on the doomed instance while it dies: the client sees the connection break.
    const live = openEvents(`${doomedUrl}/v1/rounds/${started.roundId}/events`, { token: TOKENS.carol });
    await expect
      .poll(() => live.events.some((event) => event.event === 'approval_required'), { timeout: 20_000 })
      .toBe(true);
    await doomed.stop('SIGKILL');
    const broken = await live.closed;
    expect(broken.ended && live.events.some((event) => event.event === 'round_completed')).toBe(false);
    await expect(fetch(`${doomedUrl}/healthz`)).rejects.toThrow();
    const before = { events: [...live.events] };
    expect(before.events.at(-1)!.event).toBe('approval_required');

    const { approvalId, argsDigest } = JSON.parse(before.events.at(-1)!.data).approval as {
      approvalId: string;
      argsDigest: string;
    };
    expect(
      (await survivor.request('alice', 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest }))
        .status,
    ).toBe(202);
    const after = await readEvents(`${survivor.url}/v1/rounds/${started.roundId}/events`, {
      token: TOKENS.carol,
      lastEventId: Number(before.events.at(-1)!.id),
    });
    // Durable events only: live tokens (the answer as it streams) carry no id and are not resumed.
    const durable = after.events.filter((event) => event.id !== undefined);
    const all = [...before.events, ...durable];
    expect(all.map((event) => Number(event.id))).toEqual(all.map((_, index) => index + 1));
    expect(durable.map((event) => event.event)).toEqual([
      'approval_decided',
      'tool_result',
      'llm_step',
      'round_completed',
    ]);
    expect(mcp.calls.filter((call) => call.arguments.name === 'f-kill')).toHaveLength(1);
    expect(await harness.replayRounds()).toBe(1);
  });

  it('answers 503 while the Temporal service is down, and recovers when it is back', async () => {
    const dbFilename = join(mkdtempSync(join(tmpdir(), 'toolgate-down-')), 'temporal.sqlite');
    let server = await startDevServer({ ui: false, dbFilename });
    const connection = await NativeConnection.connect({ address: server.address });
    const api = await startApi({ client: new Client({ connection }), config: harness.config });
    try {
      await server.stop();
      const refused = await api.request('alice', 'POST', '/v1/rounds', { query: 'f-down' });
      expect(refused).toMatchObject({ status: 503, body: { error: { code: 'temporal_unavailable' } } });
      expect(refused.headers.get('retry-after')).toBe('2');
      // Public and unauthenticated: it says Temporal is unreachable, not what the client library said about it.
      const health = await api.request(undefined, 'GET', '/healthz');
      expect(health).toMatchObject({ status: 503, body: { status: 'unavailable', temporal: 'unavailable' } });
      expect(JSON.stringify(health.body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}|tcp|transport|connect/i);
      server = await startDevServer({ ui: false, dbFilename, port: server.port });
      await expect
        .poll(async () => (await api.request(undefined, 'GET', '/healthz')).status, { timeout: 20_000 })
        .toBe(200);
    } finally {
      await api.close();
      await connection.close();
      await server.stop();
    }
  });
});

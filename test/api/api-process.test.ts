// The API as it ships: `api/main.ts` spawned with a config file, not the wiring the other API tests rebuild in
// process. The config's roles and publicMetrics guard /metrics, its webUiUrl is the one origin the codec
// endpoint answers CORS for, and a requester's credential header reaches a real worker process sealed: the MCP
// server gets the token, the round's history, opened with the codec, never holds it.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import { EncryptionCodec, loadCodecKeys } from '../../runtime/payload-codec.ts';
import { connectToTemporal } from '../../runtime/temporal-connection.ts';
import { freePort } from '../../scripts/ports.ts';
import type { ChildService } from '../../testkit/child-processes.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  lastToolMessages,
  messageText,
  routeByMarker,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { spawnApi, spawnWorker, writeConfig } from '../../testkit/services.ts';
import { apiRequester, TOKEN_CONFIG, type ApiHarness, type Person } from '../support/api-harness.ts';
import {
  decodedHistoryTexts,
  historyPayloads,
  toWire,
  wireText,
  type WirePayload,
} from '../support/history-payloads.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const KUBE_HEADER = 'X-Kube-Token';
/** Not the default webUiUrl (http://127.0.0.1:8233), so an API that ignored the setting would be caught. */
const WEB_UI_ORIGIN = 'http://temporal-ui.test:8233';
const CODEC_ENV = 'TOOLGATE_TEST_CODEC_KEY';

describe('the API process', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-api-process-'));
  const routes: Record<string, LlmScript> = {};
  const valid = new Set<string>();
  let llm: ScriptedLlmServer;
  let mcp: HttpMcpServer;
  let worker: ChildService;
  let api: ChildService;
  let url: string;
  let call: ApiHarness['request'];
  let connection: NativeConnection;
  let codec: EncryptionCodec;

  beforeAll(async () => {
    llm = await startScriptedLlmServer(routeByMarker(routes));
    mcp = await startHttpMcpServer({
      name: 'k8s',
      authorize: (authorization) => authorization !== undefined && valid.has(authorization),
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    call = apiRequester(url);
    const config = {
      temporal: {
        address: inject('temporalAddress'),
        taskQueue: `api-process-${randomUUID()}`,
        deployment: { name: 'api-process-test' },
      },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          userCredential: { fromHeader: KUBE_HEADER },
        },
      ],
      codec: { keys: [{ id: 'k1', secret: `\${${CODEC_ENV}}` }] },
      api: {
        port,
        webUiUrl: `${WEB_UI_ORIGIN}/`,
        tokens: TOKEN_CONFIG,
        roles: { admin: ['adam'], auditor: ['audrey'], metrics: ['prom'] },
        publicMetrics: false,
      },
    };
    const path = writeConfig(join(folder, 'toolgate.yaml'), config);
    const env = { [CODEC_ENV]: randomBytes(32).toString('base64') };
    [worker, api] = await Promise.all([spawnWorker(path, 120_000, env), spawnApi(path, 60_000, env)]);
    // The test reads history as the processes do: the same config, so the same key.
    const parsed = parseConfig(config, 'api process test', { ...process.env, ...env });
    ({ connection } = await connectToTemporal(parsed.temporal));
    codec = new EncryptionCodec(loadCodecKeys(parsed.codec!.keys));
  });

  afterAll(async () => {
    await api?.stop('SIGTERM');
    await worker?.stop('SIGTERM');
    await mcp?.close();
    await llm?.close();
    await connection?.close();
  });

  it('serves /metrics only to admin, auditor and metrics principals, as api.roles and publicMetrics say', async () => {
    const anonymous = await call(undefined, 'GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const ordinary = await call('carol', 'GET', '/metrics');
    expect(ordinary.status).toBe(403);
    expect(ordinary.body.error.code).toBe('not_allowed');
    for (const person of ['prom', 'adam', 'audrey'] as const) {
      const scraped = await call(person, 'GET', '/metrics');
      expect(scraped.status, person).toBe(200);
      expect(scraped.body, person).toMatch(/^# HELP /m);
    }
  });

  it('answers CORS on /codec/decode for the origin of api.webUiUrl only', async () => {
    const decode = (origin: string) => call('carol', 'POST', '/codec/decode', { payloads: [] }, { origin });
    const allowed = await decode(WEB_UI_ORIGIN);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(WEB_UI_ORIGIN);
    for (const stranger of ['http://127.0.0.1:8233', 'http://evil.test']) {
      const refused = await decode(stranger);
      expect(refused.status).toBe(200);
      expect(refused.headers.get('access-control-allow-origin'), stranger).toBeNull();
    }
    const preflight = await fetch(`${url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: WEB_UI_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(WEB_UI_ORIGIN);
  });

  it("forwards the requester's credential header to the MCP server, sealed everywhere in between", async () => {
    const token = `carol-${randomUUID()}`;
    valid.add(`Bearer ${token}`);
    const marker = `q-${randomUUID()}`;
    const message = `as carol ${randomUUID()}`;
    routes[marker] = (request, index) =>
      index === 0
        ? { toolCalls: [{ name: 'echo', arguments: { message } }] }
        : { content: messageText(lastToolMessages(request)[0]) };
    const started = await call('carol', 'POST', '/v1/rounds', { query: marker }, { [KUBE_HEADER]: token });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const roundId = started.body.roundId as string;
    await expect
      .poll(async () => (await call('carol', 'GET', `/v1/rounds/${roundId}`)).body.answer, { timeout: 30_000 })
      .toBe(`echo: ${message}`);
    expect(mcp.calls.find((recorded) => recorded.arguments.message === message)?.authorization).toBe(`Bearer ${token}`);

    // The history the API and worker wrote, every payload opened with the codec key.
    const history = await new Client({ connection }).workflow.getHandle(roundId).fetchHistory();
    const decoded = await decodedHistoryTexts(history, codec);
    const input = decoded.find(({ path }) => path.includes('workflowExecutionStartedEventAttributes.input'));
    expect(input?.text).toContain(marker);
    expect(input?.text).toMatch(/"credentials":\{"k8s":\{"keyId":"k1","sealed":/);
    for (const { path, text } of decoded) expect(text.includes(token), path).toBe(false);

    // The real API's codec endpoint opens them for the requester, never with the token; for others not at all.
    const wire = historyPayloads(history).map(({ payload }) => toWire(payload));
    const decodeAs = async (person: Person) => {
      const answer = await call(person, 'POST', '/codec/decode', { payloads: wire });
      expect(answer.status).toBe(200);
      return answer.body.payloads as WirePayload[];
    };
    const opened = (await decodeAs('carol')).map(wireText).join('\n');
    expect(opened).toContain(message);
    expect(opened).not.toContain(token);
    expect(await decodeAs('mallory')).toEqual(wire);

    // Nor do the processes log it, though they log the round.
    expect(api.output()).toContain(roundId);
    expect(api.output()).not.toContain(token);
    expect(worker.output()).not.toContain(token);
  });
});

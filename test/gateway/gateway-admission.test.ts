// A gateway call spends no LLM tokens (docs/gateway.md): a principal whose token quota is used up still calls
// tools through /mcp, while POST /v1/rounds refuses it; the concurrent-round limit still holds for gateway calls.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryRoundInput } from '../../workflows/contract.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

type Notice = { progress: number; _meta?: Record<string, unknown> };

describe('MCP gateway admission', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const clients: Client[] = [];

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    api = await startApi(harness, {
      limits: {
        // Fewer tokens than one scripted round uses; one running round at a time.
        tokens: { period: 'day', perPrincipal: 1_000_000, principals: { carol: 5 } },
        roundsPerPrincipal: 1,
      },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  async function connected(): Promise<Client> {
    const client = new Client({ name: 'admission-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKENS.carol}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  async function inputOf(roundId: string): Promise<QueryRoundInput> {
    const history = await harness.client.workflow.getHandle(roundId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    return defaultPayloadConverter.fromPayload<QueryRoundInput>(payload!);
  }

  it('lets a principal whose tokens are spent call tools, while it refuses their LLM rounds', async () => {
    harness.routes['ga-spend'] = scriptedSteps({ content: 'answer ga-spend' });
    const spent = await api.request('carol', 'POST', '/v1/rounds', { query: 'ga-spend' });
    expect(spent.status).toBe(201);
    await harness.client.workflow.getHandle(spent.body.roundId).result();
    await expect
      .poll(async () => (await api.request('carol', 'GET', '/v1/quota')).body.tokens.remaining, { timeout: 20_000 })
      .toBe(0);
    const refused = await api.request('carol', 'POST', '/v1/rounds', { query: 'ga-refused' });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('token_quota_exhausted');

    const client = await connected();
    const before = mcp.calls.length;
    const result = await client.callTool({ name: 'k8s__echo', arguments: { message: 'no tokens needed' } });
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: 'echo: no tokens needed' }]);
    expect(mcp.calls.length).toBe(before + 1);
    // The gateway round runs under no token quota of its own.
    expect((await inputOf(result._meta?.['toolgate/roundId'] as string)).quota).toBeUndefined();
  });

  it('still refuses a gateway call over the concurrent-round limit', async () => {
    const client = await connected();
    const notices: Notice[] = [];
    const waiting = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'limit-1' } },
      undefined,
      { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const before = mcp.calls.length;
    await expect(client.callTool({ name: 'k8s__echo', arguments: { message: 'over the limit' } })).rejects.toThrow(
      /rounds running, the limit is 1/,
    );
    expect(mcp.calls.length).toBe(before);
    expect(
      (await approveShown(api.request, 'alice', notices[0]!._meta?.['toolgate/approvalId'] as string)).status,
    ).toBe(202);
    expect((await waiting).isError).toBeUndefined();
  });
});

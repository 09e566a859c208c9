// MCP gateway mode, first slice (docs/gateway.md): a real MCP client (the SDK's Client over Streamable HTTP)
// against the API's /mcp, in front of the test MCP server through a real worker.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

/** A progress notification as the client's `onprogress` gets it (the SDK's type leaves out `_meta`). */
type Notice = { progress: number; message?: string; _meta?: Record<string, unknown> };

function mcpClient(
  url: string,
  token: string | undefined,
): { client: Client; transport: StreamableHTTPClientTransport } {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  return { client: new Client({ name: 'gateway-test', version: '1.0.0' }), transport };
}

describe('MCP gateway on Streamable HTTP', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('refuses a client without a valid bearer token', async () => {
    for (const token of [undefined, 'not-a-token-0123456789']) {
      const { client, transport } = mcpClient(api.url, token);
      // The SDK's StreamableHTTPError carries the status; the body is the API's own error shape.
      await expect(client.connect(transport)).rejects.toMatchObject({ code: 401, message: /unauthorized/ });
      await client.close();
    }
    const response = await api.request(undefined, 'POST', '/mcp', {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {},
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('lists the upstream tools namespaced server__tool, with their schemas and annotations', async () => {
    const { client, transport } = mcpClient(api.url, TOKENS.carol);
    try {
      await client.connect(transport);
      expect(client.getServerVersion()?.name).toBe('toolgate-gateway');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      expect(names.length).toBeGreaterThan(1);
      expect(names.every((name) => name.startsWith('k8s__'))).toBe(true);
      const echo = tools.find((tool) => tool.name === 'k8s__echo');
      expect(echo).toMatchObject({
        description: 'Echoes the message back',
        annotations: { readOnlyHint: true, openWorldHint: false },
        inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
      });
      // A second listing within the cache window is the same answer (no second workflow is needed).
      expect((await client.listTools()).tools).toEqual(tools);
    } finally {
      await client.close();
    }
  });

  /** A connected gateway client as `token`'s principal; closed by the caller. */
  async function connected(token: string): Promise<Client> {
    const { client, transport } = mcpClient(api.url, token);
    await client.connect(transport);
    return client;
  }

  it('runs a read-only tools/call as a round without an LLM: once, its result returned, the round readable', async () => {
    const client = await connected(TOKENS.carol);
    try {
      const before = mcp.calls.length;
      const llmRequests = harness.llm.requests.length;
      const result = await client.callTool({ name: 'k8s__echo', arguments: { message: 'through the gateway' } });
      expect(result.isError).toBeUndefined();
      expect(result.content).toEqual([{ type: 'text', text: 'echo: through the gateway' }]);
      const roundId = result._meta?.['toolgate/roundId'] as string;
      expect(roundId).toMatch(/^mcp-/);
      expect(result._meta?.['toolgate/outcome']).toBe('succeeded');
      // The tool ran once, and no model was asked.
      expect(mcp.calls.slice(before).map((call) => [call.tool, call.arguments])).toEqual([
        ['echo', { message: 'through the gateway' }],
      ]);
      expect(harness.llm.requests.length).toBe(llmRequests);
      // A round like any other: its requester reads it through the HTTP API.
      const state = await api.request('carol', 'GET', `/v1/rounds/${roundId}`);
      expect(state.status).toBe(200);
      expect(state.body).toMatchObject({
        status: 'completed',
        requester: 'carol',
        answer: 'echo: through the gateway',
        toolCalls: [{ server: 'k8s', tool: 'echo', outcome: 'succeeded' }],
      });
      expect((await api.request('mallory', 'GET', `/v1/rounds/${roundId}`)).status).toBe(404);
    } finally {
      await client.close();
    }
  });

  it('holds a gated tools/call until an approver decides over HTTP, telling the client who must decide', async () => {
    const client = await connected(TOKENS.carol);
    try {
      const before = mcp.calls.length;
      const notices: Notice[] = [];
      const pending = client.callTool(
        { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'web-1' } },
        undefined,
        { onprogress: (progress) => notices.push(progress), resetTimeoutOnProgress: true },
      );
      await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
      const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
      expect(approvalId).toMatch(/^mcp-[0-9a-f-]+\.1\.0$/);
      expect(notices[0]!._meta).toMatchObject({
        'toolgate/approvers': ['alice', 'bob'],
        'toolgate/links': { approval: `http://api.test/v1/approvals/${approvalId}` },
      });
      expect(notices[0]!.message).toContain(
        `Waiting for approval ${approvalId} of k8s/delete_pod by one of alice, bob`,
      );
      // Listed for approvers like any round's approval.
      const listed = await api.request('alice', 'GET', '/v1/approvals?status=pending&tool=delete_pod');
      expect(listed.body.approvals.map((approval: { approvalId: string }) => approval.approvalId)).toContain(
        approvalId,
      );
      expect(mcp.calls.length).toBe(before);
      expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
      const result = await pending;
      expect(result.isError).toBeUndefined();
      expect(result.content).toEqual([{ type: 'text', text: 'deleted pod default/web-1' }]);
      expect(result._meta).toMatchObject({ 'toolgate/approvalId': approvalId, 'toolgate/outcome': 'succeeded' });
      expect(mcp.calls.slice(before).map((call) => call.tool)).toEqual(['delete_pod']);
      expect(notices).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('keeps the call when its client leaves while it waits: approved later, it runs once, its round readable', async () => {
    const client = await connected(TOKENS.carol);
    const before = mcp.calls.length;
    const notices: Notice[] = [];
    const leaving = new AbortController();
    const pending = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'left-1' } },
      undefined,
      { onprogress: (progress) => notices.push(progress), signal: leaving.signal },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const roundId = notices[0]!._meta?.['toolgate/roundId'] as string;
    const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
    leaving.abort();
    await expect(pending).rejects.toThrow();
    await client.close();
    expect((await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status).toBe('waiting_approval');
    expect((await approveShown(api.request, 'bob', approvalId)).status).toBe(202);
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    const state = await api.request('carol', 'GET', `/v1/rounds/${roundId}`);
    expect(state.body).toMatchObject({ answer: 'deleted pod default/left-1', toolCalls: [{ outcome: 'succeeded' }] });
    expect(mcp.calls.slice(before).map((call) => [call.tool, call.arguments])).toEqual([
      ['delete_pod', { namespace: 'default', name: 'left-1' }],
    ]);
  });

  it('answers a rejected or unknown tool as an MCP tool error, never running it', async () => {
    const client = await connected(TOKENS.carol);
    try {
      const before = mcp.calls.length;
      const unknown = await client.callTool({ name: 'k8s__no_such_tool', arguments: {} });
      expect(unknown).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'invalid' } });
      expect(JSON.stringify(unknown.content)).toContain('not available');

      const pending = client.callTool({ name: 'k8s__delete_pod', arguments: { namespace: 'prod', name: 'db-0' } });
      let approval: { approvalId: string; argsDigest: string } | undefined;
      await expect
        .poll(
          async () => {
            const listed = await api.request('bob', 'GET', '/v1/approvals?status=pending&tool=delete_pod');
            const approvals = listed.body.approvals as Array<{
              approvalId: string;
              roundId: string;
              argsDigest: string;
            }>;
            return (approval = approvals.find((item) => item.roundId.startsWith('mcp-')));
          },
          { timeout: 20_000 },
        )
        .toBeDefined();
      const decided = await api.request('bob', 'POST', `/v1/approvals/${approval!.approvalId}`, {
        decision: 'reject',
        reason: 'not in prod',
        argsDigest: approval!.argsDigest,
      });
      expect(decided.status).toBe(202);
      const result = await pending;
      expect(result).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'rejected' } });
      expect(JSON.stringify(result.content)).toContain('not in prod');
      expect(mcp.calls.length).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('is stateless: GET and DELETE on /mcp are 405 for an authenticated client', async () => {
    const get = await api.request('carol', 'GET', '/mcp');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await api.request('carol', 'DELETE', '/mcp')).status).toBe(405);
    expect((await api.request(undefined, 'GET', '/mcp')).status).toBe(401);
  });
});

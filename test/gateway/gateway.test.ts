// MCP gateway mode, first slice (docs/gateway.md): a real MCP client (the SDK's Client over Streamable HTTP)
// against the API's /mcp, in front of the test MCP server through a real worker.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

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

  it('is stateless: GET and DELETE on /mcp are 405 for an authenticated client', async () => {
    const get = await api.request('carol', 'GET', '/mcp');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await api.request('carol', 'DELETE', '/mcp')).status).toBe(405);
    expect((await api.request(undefined, 'GET', '/mcp')).status).toBe(401);
  });
});

// The MCP gateway on Streamable HTTP (/mcp, docs/gateway.md). Stateless: a Server and transport per request, so
// any replica answers any request. The API's onRequest hook has already authenticated the bearer token and spent
// the principal's request budget; the principal reaches MCP handlers as `extra.authInfo.clientId`.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayCatalog } from '../gateway-catalog.ts';

const SERVER_INFO = { name: 'toolgate-gateway', version: '0.1.0' };

function gatewayServer(catalog: GatewayCatalog): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: false } },
    instructions: 'Tools of the servers behind toolgate, named server__tool. Calls may wait for a human approval.',
  });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await catalog.tools() }));
  return server;
}

const METHOD_NOT_ALLOWED = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this gateway is stateless (POST only)' },
  id: null,
};

export function mcpRoutes(catalog: GatewayCatalog): FastifyPluginAsync {
  return async (app) => {
    app.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
      const server = gatewayServer(catalog);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      const raw = Object.assign(request.raw, {
        auth: { token: '', clientId: request.principal, scopes: [] },
      });
      await transport.handleRequest(raw, reply.raw, request.body);
    });
    // No standalone SSE stream and no sessions to delete in stateless mode.
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: '/mcp',
        schema: { hide: true },
        handler: async (_request, reply) => reply.code(405).header('allow', 'POST').send(METHOD_NOT_ALLOWED),
      });
    }
  };
}

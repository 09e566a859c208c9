// One MCP client per configured server, connected on first use and reused by every activity of the
// worker; a broken connection is dropped and made anew on the next call, and closed once the calls still
// in flight on it have ended.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { Logger } from 'pino';
import { HttpStatusError } from './call-errors.ts';
import { requestHeaders } from './request-headers.ts';
import { parseRetryAfter } from '../runtime/retry-after.ts';
import { traceHeaders } from '../runtime/trace-context.ts';
import type { ServerConfig } from '../runtime/config.ts';
import type { McpConnections } from './connections.ts';

const CLIENT_INFO = { name: 'toolgate', version: '0.1.0' };

/**
 * Adds the calling activity's trace context and credential to the request, and surfaces 429/503 with their
 * Retry-After, which the SDK's transport error would otherwise drop.
 */
async function fetchKeepingRetryAfter(url: string | URL, init?: RequestInit): Promise<Response> {
  const extra = { ...traceHeaders(), ...requestHeaders() };
  if (Object.keys(extra).length > 0) {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extra)) headers.set(name, value);
    init = { ...init, headers };
  }
  const response = await fetch(url, init);
  if (response.status === 429 || response.status === 503) {
    const body = await response.text().catch(() => '');
    throw new HttpStatusError(response.status, parseRetryAfter(response.headers), body);
  }
  return response;
}

function createTransport(server: ServerConfig, logger: Logger): Transport {
  if (server.transport === 'http') {
    return new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: server.headers },
      fetch: fetchKeepingRetryAfter,
    });
  }
  // The SDK replaces the child's environment with `env`: keep its safe defaults (PATH, HOME, ...).
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    env: { ...getDefaultEnvironment(), ...server.env },
    cwd: server.cwd,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) logger.debug({ server: server.name }, line);
    }
  });
  return transport;
}

/** A client that knows how many requests it has in flight, so that retiring it need not cut them off. */
class PooledClient extends Client {
  private inFlight = 0;
  private retired = false;

  override async request<T extends AnySchema>(
    request: Parameters<Client['request']>[0],
    resultSchema: T,
    options?: RequestOptions,
  ): Promise<SchemaOutput<T>> {
    this.inFlight++;
    try {
      return await super.request(request, resultSchema, options);
    } finally {
      this.inFlight--;
      if (this.retired && this.inFlight === 0) void this.close().catch(() => undefined);
    }
  }

  /** Closes now if idle, else when the last request in flight ends. */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.inFlight === 0) await this.close().catch(() => undefined);
  }
}

export class McpClientPool implements McpConnections {
  private readonly servers: Map<string, ServerConfig>;
  private readonly clients = new Map<string, Promise<PooledClient>>();
  private readonly logger: Logger;

  constructor(servers: ServerConfig[], logger: Logger) {
    this.servers = new Map(servers.map((server) => [server.name, server]));
    this.logger = logger;
  }

  serverNames(): string[] {
    return [...this.servers.keys()];
  }

  server(name: string): ServerConfig | undefined {
    return this.servers.get(name);
  }

  client(name: string): Promise<Client> {
    const existing = this.clients.get(name);
    if (existing) return existing;
    const server = this.servers.get(name);
    if (!server) return Promise.reject(new Error(`MCP server '${name}' is not configured`));
    const connecting = this.connect(server);
    this.clients.set(name, connecting);
    connecting.catch(() => {
      if (this.clients.get(name) === connecting) this.clients.delete(name);
    });
    return connecting;
  }

  /**
   * Forgets a connection after a connection-level failure, so the next call reconnects; the calls still in
   * flight on it finish on it (over HTTP each is its own exchange, and may well succeed).
   */
  async discard(name: string): Promise<void> {
    const existing = this.clients.get(name);
    this.clients.delete(name);
    const client = await existing?.catch(() => undefined);
    await client?.retire();
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(async (connecting) => (await connecting.catch(() => undefined))?.close()));
  }

  private async connect(server: ServerConfig): Promise<PooledClient> {
    const client = new PooledClient(CLIENT_INFO);
    const transport = createTransport(server, this.logger);
    client.onclose = () => {
      this.logger.info({ server: server.name }, 'MCP connection closed');
      void this.clients.get(server.name)?.then(
        (current) => {
          if (current === client) this.clients.delete(server.name);
        },
        () => undefined,
      );
    };
    client.onerror = (error) => this.logger.debug({ server: server.name, err: error }, 'MCP transport error');
    try {
      await client.connect(transport, { timeout: server.timeout });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
    this.logger.info({ server: server.name, transport: server.transport }, 'MCP server connected');
    return client;
  }
}

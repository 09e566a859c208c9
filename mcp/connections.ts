import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ServerConfig } from '../runtime/config.ts';

/** What the MCP activities need from the worker's connection pool. */
export interface McpConnections {
  serverNames(): string[];
  server(name: string): ServerConfig | undefined;
  client(name: string): Promise<Client>;
  discard(name: string): Promise<void>;
}

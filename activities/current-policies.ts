// The current policy of the tools a round's pending approvals wait on, under this worker's configuration: the
// only answer a round re-checking its approvals trusts (its `policyChanged` signal carries nothing).
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CurrentPolicies, CurrentTool } from '../workflows/contract.ts';
import type { ToolgateConfig } from '../runtime/config.ts';
import { configFingerprint } from '../runtime/config-fingerprint.ts';
import { isConnectionLevel } from '../mcp/call-errors.ts';
import type { McpConnections } from '../mcp/connections.ts';
import { whileHeartbeating } from './heartbeat.ts';
import { listAll } from './list-tools.ts';
import { resolveToolPolicy } from './tool-policy.ts';

export function createCurrentPolicies(config: ToolgateConfig, connections: McpConnections) {
  const fingerprint = configFingerprint(config);
  return async function currentPolicies(input: {
    tools: Array<{ server: string; tool: string }>;
  }): Promise<CurrentPolicies> {
    const servers = [...new Set(input.tools.map((entry) => entry.server))];
    // Per server: its tools as listed now, `undefined` when it is not configured, or the error that hid them.
    const listings = new Map<string, { tools?: Tool[]; error?: string }>();
    await whileHeartbeating(() =>
      Promise.all(
        servers.map(async (name) => {
          const server = connections.server(name);
          if (!server) return listings.set(name, {});
          try {
            listings.set(name, { tools: await listAll(connections, name, server.timeout) });
          } catch (error) {
            if (isConnectionLevel(error)) await connections.discard(name);
            listings.set(name, { error: error instanceof Error ? error.message : String(error) });
          }
        }),
      ),
    );
    const tools = input.tools.map(({ server: name, tool: toolName }): CurrentTool => {
      const listing = listings.get(name)!;
      const server = connections.server(name);
      if (!server) return { server: name, tool: toolName, status: 'gone', why: `server '${name}' is not configured` };
      if (listing.error !== undefined)
        return { server: name, tool: toolName, status: 'unknown', why: `server '${name}' could not be listed` };
      const tool = listing.tools?.find((entry) => entry.name === toolName);
      if (!tool)
        return { server: name, tool: toolName, status: 'gone', why: `server '${name}' no longer lists '${toolName}'` };
      return {
        server: name,
        tool: toolName,
        status: 'offered',
        descriptor: {
          server: name,
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
          annotations: tool.annotations ?? {},
          policy: resolveToolPolicy(config, server, tool.name),
        },
      };
    });
    return { configFingerprint: fingerprint, releaseWhenLoosened: config.approvals.recheck.releaseWhenLoosened, tools };
  };
}

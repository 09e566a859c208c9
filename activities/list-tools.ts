import { log } from '@temporalio/activity';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCatalog, ToolDescriptor } from '../workflows/contract.ts';
import type { ServerConfig, ToolgateConfig } from '../runtime/config.ts';
import { whileHeartbeating } from './heartbeat.ts';
import { isConnectionLevel } from '../mcp/call-errors.ts';
import type { McpConnections } from '../mcp/connections.ts';
import { resolveToolPolicy } from './tool-policy.ts';
import { configFingerprint } from '../runtime/config-fingerprint.ts';
import { previewProblem, withPreviewProblem } from './preview-tool.ts';
import { toolFingerprint } from './tool-fingerprint.ts';

export async function listAll(connections: McpConnections, name: string, timeoutMs: number): Promise<Tool[]> {
  const client = await connections.client(name);
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/**
 * A configured tool entry that names no tool of its server would silently drop its policy (a typo, or a tool
 * the server renamed, losing `approval: always`): the server is refused until the config says what it means.
 */
function refuseStrayOverrides(server: ServerConfig, tools: Tool[]): void {
  const names = new Set(tools.map((tool) => tool.name));
  const stray = Object.keys(server.tools).filter((name) => !names.has(name));
  if (stray.length > 0)
    throw new Error(
      `the config sets ${stray.map((name) => `'${name}'`).join(', ')} under servers.${server.name}.tools, ` +
        `which the server does not offer (a typo or a renamed tool): its tools stay unavailable until the config is fixed`,
    );
}

/** Lists every requested server's tools with their resolved policy; a server that fails is reported, not fatal. */
export function createListTools(config: ToolgateConfig, connections: McpConnections, notifications: boolean) {
  const fingerprint = configFingerprint(config);
  return async function listTools(input: { servers?: string[] }): Promise<ToolCatalog> {
    const requested = input.servers ?? connections.serverNames();
    const catalog: ToolCatalog = {
      tools: [],
      unavailable: [],
      maxSteps: config.round.maxSteps,
      maxToolCallsPerReply: config.round.maxToolCallsPerReply,
      transcriptChars: config.round.transcriptChars,
      toolOutputChars: config.round.toolOutputChars,
      notifications,
      configFingerprint: fingerprint,
    };
    const listings = await whileHeartbeating(() =>
      Promise.allSettled(
        requested.map(async (name) => {
          const server = connections.server(name);
          if (!server) throw new Error(`MCP server '${name}' is not configured`);
          try {
            const tools = await listAll(connections, name, server.timeout);
            refuseStrayOverrides(server, tools);
            return { server, tools };
          } catch (error) {
            if (isConnectionLevel(error)) await connections.discard(name);
            throw error;
          }
        }),
      ),
    );
    listings.forEach((listing, index) => {
      if (listing.status === 'rejected') {
        const reason = listing.reason instanceof Error ? listing.reason.message : String(listing.reason);
        catalog.unavailable.push({ server: requested[index]!, error: reason });
        return;
      }
      const { server, tools } = listing.value;
      for (const tool of tools) {
        const problem = previewProblem(server, tool.name, tools);
        if (problem) log.warn('tool preview unavailable', { server: server.name, tool: tool.name, problem });
        const annotations = tool.annotations ?? {};
        const policy = withPreviewProblem(resolveToolPolicy(config, server, tool.name), problem);
        const descriptor: ToolDescriptor = {
          server: server.name,
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
          annotations,
          policy,
          fingerprint: toolFingerprint(server, { inputSchema: tool.inputSchema, annotations }, policy),
        };
        catalog.tools.push(descriptor);
      }
    });
    return catalog;
  };
}

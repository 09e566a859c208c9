import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FailureType, type ToolCallRequest, type ToolCallResult } from '../workflows/contract.ts';
import { classifyMcpError, isConnectionLevel } from './mcp-errors.ts';
import type { McpConnections } from './mcp-connections.ts';
import { truncateOutput } from './truncate-output.ts';

const HEARTBEAT_INTERVAL_MS = 3000;

function resultText(result: CallToolResult): string {
  const parts = result.content.map((item) => {
    switch (item.type) {
      case 'text':
        return item.text;
      case 'resource':
        return 'text' in item.resource ? item.resource.text : `[binary resource ${item.resource.uri}]`;
      case 'resource_link':
        return `[resource link ${item.uri}]`;
      default:
        return `[${item.type} content, ${'mimeType' in item ? item.mimeType : 'unknown type'}]`;
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}

/** One MCP `tools/call`. Heartbeats while waiting so a lost worker is noticed in seconds, not at the deadline. */
export function createCallTool(connections: McpConnections, outputBudget: number) {
  return async function callTool(request: ToolCallRequest): Promise<ToolCallResult> {
    const context = Context.current();
    if (!connections.server(request.server)) {
      throw ApplicationFailure.create({
        type: FailureType.McpUnknownServer,
        message: `MCP server '${request.server}' is not configured on this worker`,
        nonRetryable: true,
      });
    }
    context.heartbeat();
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
    try {
      const client = await connections.client(request.server);
      const result = (await client.callTool(
        {
          name: request.tool,
          arguments: request.arguments,
          _meta: { toolgate: { roundId: request.roundId, toolCallId: request.toolCallId } },
        },
        undefined,
        { timeout: request.timeoutMs, signal: context.cancellationSignal },
      )) as CallToolResult;
      const output = truncateOutput(resultText(result), outputBudget);
      return { isError: result.isError === true, ...output };
    } catch (error) {
      if (context.cancellationSignal.aborted) throw error;
      if (isConnectionLevel(error)) await connections.discard(request.server);
      throw classifyMcpError(error, { retrySafe: request.retrySafe, timeoutMs: request.timeoutMs });
    } finally {
      clearInterval(heartbeat);
    }
  };
}

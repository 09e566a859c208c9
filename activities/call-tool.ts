import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FailureType, type ToolCallRequest, type ToolCallResult } from '../workflows/contract.ts';
import { classifyMcpError, isConnectionLevel } from './mcp-errors.ts';
import type { McpConnections } from './mcp-connections.ts';
import { truncateOutput } from './truncate-output.ts';
import { whileHeartbeating } from './heartbeat.ts';

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

/** One MCP `tools/call`, heartbeating while it waits. */
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
    try {
      return await whileHeartbeating(async () => {
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
        return { isError: result.isError === true, ...truncateOutput(resultText(result), outputBudget) };
      });
    } catch (error) {
      if (context.cancellationSignal.aborted) throw error;
      if (isConnectionLevel(error)) await connections.discard(request.server);
      throw classifyMcpError(error, { retrySafe: request.retrySafe, timeoutMs: request.timeoutMs });
    }
  };
}

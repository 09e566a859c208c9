import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FailureType, type ToolCallRequest, type ToolCallResult } from '../workflows/contract.ts';
import { classifyCallError, classifyConnectError, isConnectionLevel } from '../mcp/call-errors.ts';
import type { McpConnections } from '../mcp/connections.ts';
import { withRequestHeaders } from '../mcp/request-headers.ts';
import { truncateOutput } from './truncate-output.ts';
import { whileHeartbeating } from './heartbeat.ts';
import { describeActivitySpan } from '../runtime/trace-context.ts';
import { credentialHeadersForRun } from './user-credential.ts';
import type { CodecKey } from '../runtime/payload-codec.ts';

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

/**
 * One MCP `tools/call`, heartbeating while it waits. A failure to connect is kept apart from a failure of the
 * call: only the second can have reached the server.
 */
export function createCallTool(connections: McpConnections, outputBudget: number, credentialKeys: CodecKey[]) {
  return async function callTool(request: ToolCallRequest): Promise<ToolCallResult> {
    const context = Context.current();
    describeActivitySpan({
      'toolgate.tool.server': request.server,
      'toolgate.tool.name': request.tool,
      'toolgate.tool.call_id': request.toolCallId,
    });
    const server = connections.server(request.server);
    if (!server) {
      throw ApplicationFailure.create({
        type: FailureType.McpUnknownServer,
        message: `MCP server '${request.server}' is not configured on this worker`,
        nonRetryable: true,
      });
    }
    // The round is the run this activity works for: a request naming another round could borrow its credential.
    const run = context.info.workflowExecution;
    const roundId = run?.workflowId ?? '';
    let headers: Record<string, string> | undefined;
    if (request.credential) {
      if (!run) {
        throw ApplicationFailure.create({
          type: FailureType.McpUnauthorized,
          message: "the requester's credential is only opened for a round's own call",
          nonRetryable: true,
        });
      }
      headers = await credentialHeadersForRun(context.client, run, server, request.credential, credentialKeys);
    }
    return whileHeartbeating(async () => {
      const client = await connections.client(request.server).catch((error: unknown) => {
        if (context.cancellationSignal.aborted) throw error;
        throw classifyConnectError(error);
      });
      try {
        // A plain request, not client.callTool: its output-schema check throws InvalidParams after the tool ran.
        const send = () =>
          client.request(
            {
              method: 'tools/call',
              params: {
                name: request.tool,
                arguments: request.arguments,
                _meta: { toolgate: { roundId, toolCallId: request.toolCallId } },
              },
            },
            CallToolResultSchema,
            { timeout: request.timeoutMs, signal: context.cancellationSignal },
          );
        // Only this request carries the requester's credential; the pooled connection stays the worker's.
        const result = await (headers ? withRequestHeaders(headers, send) : send());
        return { isError: result.isError === true, ...truncateOutput(resultText(result), outputBudget) };
      } catch (error) {
        if (context.cancellationSignal.aborted) throw error;
        if (isConnectionLevel(error)) await connections.discard(request.server);
        throw classifyCallError(error, request.timeoutMs);
      }
    });
  };
}

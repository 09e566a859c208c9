// tasks/result for the MCP gateway: awaits the round's result (Temporal's long poll on the workflow's close)
// instead of the SDK's handler, which polls tasks/get every pollInterval until the task is terminal.
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  McpError,
  RELATED_TASK_META_KEY,
  type GetTaskPayloadRequest,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { untilLeft } from './gateway-calls.ts';
import type { TemporalTaskStore } from './gateway-tasks.ts';

/** The handler for `server.setRequestHandler(GetTaskPayloadRequestSchema, …)`; a client that leaves stops the wait. */
export function awaitedTaskResult(tasks: TemporalTaskStore) {
  return async (
    request: GetTaskPayloadRequest,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  ): Promise<Record<string, unknown>> => {
    const { taskId } = request.params;
    const result = await untilLeft(tasks.awaitResult(taskId), extra.signal);
    if (!result) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${taskId}`);
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  };
}

// Watches the MCP test server's call log: every recorded call is seen the moment the server records it
// (its `receivedAt`), with a high-resolution timestamp on the bench's clock, and waiters are woken at once.
import type { RecordedToolCall } from './mcp-test-server.ts';

export interface ObservedCall {
  roundId: string;
  toolCallId: string;
  tool: string;
  arguments: Record<string, unknown>;
  /** The server's own Date.now() stamp. */
  receivedAt: number;
  /** performance.now() at the same moment (same process as the sender). */
  hrAt: number;
}

export interface McpRecorder {
  /** Resolves with the next call of the round; register it before causing the call. Unexpected calls are not kept. */
  expect(roundId: string, timeoutMs?: number): Promise<ObservedCall>;
  /** Called for every call; used by the chaos suite to keep a full log. */
  onCall: ((call: ObservedCall) => void) | undefined;
  total(): number;
}

/** Hooks the `calls` array of a test MCP server; the array itself is kept empty so it never grows. */
export function recordMcpCalls(calls: RecordedToolCall[]): McpRecorder {
  const waiters = new Map<string, Array<(call: ObservedCall) => void>>();
  let count = 0;
  const recorder: McpRecorder = {
    onCall: undefined,
    expect(roundId, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const list = waiters.get(roundId);
          const at = list?.indexOf(waiter) ?? -1;
          if (at >= 0) list!.splice(at, 1);
          if (list?.length === 0) waiters.delete(roundId);
          reject(new Error(`the MCP server received no call of round ${roundId} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = (call: ObservedCall): void => {
          clearTimeout(timer);
          resolve(call);
        };
        const list = waiters.get(roundId) ?? [];
        list.push(waiter);
        waiters.set(roundId, list);
      });
    },
    total: () => count,
  };
  calls.push = (...items: RecordedToolCall[]): number => {
    const hrAt = performance.now();
    for (const item of items) {
      count++;
      const meta = (item.meta?.toolgate ?? {}) as { roundId?: string; toolCallId?: string };
      const observed: ObservedCall = {
        roundId: meta.roundId ?? '',
        toolCallId: meta.toolCallId ?? '',
        tool: item.tool,
        arguments: item.arguments,
        receivedAt: item.receivedAt,
        hrAt,
      };
      recorder.onCall?.(observed);
      const list = waiters.get(observed.roundId);
      const waiter = list?.shift();
      if (list && list.length === 0) waiters.delete(observed.roundId);
      waiter?.(observed);
    }
    return 0;
  };
  return recorder;
}

// One resolved tool call of a model reply, as the gate and the execution see it.
import type { LlmToolCall, ToolCallRecord, ToolDescriptor } from './contract.ts';
import type { RoundContext } from './round-context.ts';
import type { ExecutionProgress } from './tool-execution.ts';

export interface CallSite {
  round: RoundContext;
  tool: ToolDescriptor;
  args: Record<string, unknown>;
  call: LlmToolCall;
  /** Its place in the reply: part of the approval id. */
  callIndex: number;
  /** What the round's state shows of it; the gate adds the approval id. */
  record: ToolCallRecord;
  /** Shared by identical read-only calls of the same reply. */
  progress: ExecutionProgress;
}

// A round as it is read from outside: its state (the `state` query and GET /v1/rounds/{id}) and its result.
import { z } from 'zod';
import { ApprovalRecord } from './approvals.ts';
import { ChatMessage, Usage } from './conversation.ts';

export const RoundStatus = z.enum(['running', 'waiting_approval', 'completed', 'failed', 'cancelled']);
export type RoundStatus = z.infer<typeof RoundStatus>;

export const ToolCallOutcome = z.enum([
  'in_progress',
  'succeeded',
  'tool_error',
  'invalid',
  'rejected',
  'expired',
  'cancelled',
  'failed',
  'outcome_unknown',
]);
export type ToolCallOutcome = z.infer<typeof ToolCallOutcome>;

export const ToolCallRecord = z.object({
  step: z.number(),
  callIndex: z.number(),
  toolCallId: z.string(),
  name: z.string(),
  server: z.string().optional(),
  tool: z.string().optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  approvalId: z.string().optional(),
  /** Approved with changes: the arguments that ran instead of `arguments`. */
  editedArguments: z.record(z.string(), z.unknown()).optional(),
  outcome: ToolCallOutcome,
  /** What the model was told (the first 1,000 characters; the transcript carries all of it). */
  content: z.string(),
  truncated: z.boolean(),
  attempts: z.number(),
  /** Set when an identical call of the same LLM reply supplied the result. */
  reusedFrom: z.string().optional(),
});
export type ToolCallRecord = z.infer<typeof ToolCallRecord>;

export const RoundError = z.object({ type: z.string(), message: z.string() });
export type RoundError = z.infer<typeof RoundError>;

export const RoundState = z.object({
  roundId: z.string(),
  status: RoundStatus,
  query: z.string(),
  requester: z.string(),
  step: z.number(),
  maxSteps: z.number(),
  toolCalls: z.array(ToolCallRecord),
  approvals: z.array(ApprovalRecord),
  usage: Usage,
  answer: z.string().optional(),
  error: RoundError.optional(),
});
export type RoundState = z.infer<typeof RoundState>;

export const QueryRoundResult = z.object({
  roundId: z.string(),
  answer: z.string(),
  steps: z.number(),
  toolCalls: z.array(ToolCallRecord),
  approvals: z.array(ApprovalRecord),
  usage: Usage,
  unavailableServers: z.array(z.object({ server: z.string(), error: z.string() })),
  /** The whole conversation, to continue it in a later round. */
  messages: z.array(ChatMessage),
});
export type QueryRoundResult = z.infer<typeof QueryRoundResult>;

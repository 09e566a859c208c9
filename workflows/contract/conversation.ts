import { z } from 'zod';
import { MAX_MESSAGE_CHARS } from './names.ts';

export const LlmToolCall = z.strictObject({
  id: z.string(),
  name: z.string(),
  /** Raw JSON text as the model produced it; it may be unparsable. */
  arguments: z.string(),
});
export type LlmToolCall = z.infer<typeof LlmToolCall>;

export const ChatMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), content: z.string().max(MAX_MESSAGE_CHARS) }),
  z.strictObject({ role: z.literal('user'), content: z.string().max(MAX_MESSAGE_CHARS) }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.string().max(MAX_MESSAGE_CHARS).nullable(),
    toolCalls: z.array(LlmToolCall).optional(),
  }),
  z.strictObject({ role: z.literal('tool'), toolCallId: z.string(), content: z.string().max(MAX_MESSAGE_CHARS) }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

export const Usage = z.object({ promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number() });
export type Usage = z.infer<typeof Usage>;

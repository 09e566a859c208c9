// A streamed chat completion read into the reply the round gets, the same as the unstreamed one: text and
// reasoning deltas go to the live hub as they come, tool-call fragments are only assembled (the round decides
// on complete calls).
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { LlmToolCall } from '../workflows/contract.ts';
import type { LiveCall } from './live-hub.ts';

type RequestOptions = Parameters<OpenAI['chat']['completions']['create']>[1];

export interface Completion {
  content: string | null;
  toolCalls: LlmToolCall[];
  finishReason: string;
  usage: OpenAI.CompletionUsage | undefined;
}

/** The model's answer as one JSON body. */
export async function completeWhole(
  client: OpenAI,
  params: ChatCompletionCreateParamsNonStreaming,
  options: RequestOptions,
): Promise<Completion> {
  const completion = await client.chat.completions.create(params, options);
  const choice = completion.choices[0];
  return {
    content: choice?.message.content ?? null,
    toolCalls: (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
    ),
    finishReason: choice?.finish_reason ?? 'unknown',
    usage: completion.usage,
  };
}

/** Reasoning text of a delta, as vLLM and DeepSeek-style servers send it (not part of OpenAI's types). */
function reasoningOf(delta: object): string {
  const { reasoning_content: text, reasoning } = delta as { reasoning_content?: unknown; reasoning?: unknown };
  if (typeof text === 'string') return text;
  return typeof reasoning === 'string' ? reasoning : '';
}

/**
 * The model's answer as it streams (usage asked for). A stream that ends before the model said why it stopped
 * broke mid-way: that throws, so the call is tried again like any other failure to reach the model.
 */
export async function completeStreamed(
  client: OpenAI,
  params: ChatCompletionCreateParamsNonStreaming,
  options: RequestOptions,
  live: LiveCall,
): Promise<Completion> {
  const stream = await client.chat.completions.create(
    { ...params, stream: true, stream_options: { include_usage: true } },
    options,
  );
  let content: string | null = null;
  const calls = new Map<number, LlmToolCall>();
  let finishReason: string | undefined;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    usage = chunk.usage ?? usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const { delta } = choice;
    const reasoning = reasoningOf(delta);
    if (reasoning) live.publish('reasoning', reasoning);
    if (typeof delta.content === 'string') {
      content = (content ?? '') + delta.content;
      if (delta.content) live.publish('token', delta.content);
    }
    for (const fragment of delta.tool_calls ?? []) {
      const call = calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      calls.set(fragment.index, call);
      if (fragment.id) call.id = fragment.id;
      if (fragment.function?.name) call.name = fragment.function.name;
      call.arguments += fragment.function?.arguments ?? '';
    }
    finishReason = choice.finish_reason ?? finishReason;
  }
  if (finishReason === undefined) throw new Error('the stream ended before the model finished its reply');
  const toolCalls = [...calls].sort(([a], [b]) => a - b).map(([, call]) => call);
  return { content, toolCalls, finishReason, usage };
}

import { Context } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage, LlmReply, LlmRequest } from '../workflows/contract.ts';
import { whileHeartbeating } from './heartbeat.ts';
import { classifyLlmError } from './llm-errors.ts';
import { describeActivitySpan, traceHeaders } from '../runtime/trace-context.ts';

export interface LlmSettings {
  model: string;
  timeoutMs: number;
  temperature?: number;
}

function toOpenAi(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    default:
      return message;
  }
}

/** One chat completion. The client is built with maxRetries 0: Temporal's retry policy is the only one. */
export function createCallLlm(client: OpenAI, settings: LlmSettings) {
  return async function callLlm(request: LlmRequest): Promise<LlmReply> {
    const tools: ChatCompletionTool[] = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    const meter = Context.current().metricMeter;
    const startedAt = performance.now();
    const observe = (outcome: string) =>
      meter
        .createHistogram(
          'toolgate_llm_request_duration_seconds',
          'float',
          's',
          'One chat completion, by model and outcome',
        )
        .record((performance.now() - startedAt) / 1000, { model: settings.model, outcome });
    try {
      const completion = await whileHeartbeating(() =>
        client.chat.completions.create(
          {
            model: settings.model,
            messages: request.messages.map(toOpenAi),
            ...(tools.length > 0 ? { tools, tool_choice: request.toolChoice } : {}),
            ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
          },
          { timeout: settings.timeoutMs, signal: Context.current().cancellationSignal, headers: traceHeaders() },
        ),
      );
      const choice = completion.choices[0];
      const toolCalls = (choice?.message.tool_calls ?? []).flatMap((call) =>
        call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
      );
      observe('ok');
      describeActivitySpan({
        'gen_ai.request.model': settings.model,
        'gen_ai.response.finish_reasons': [choice?.finish_reason ?? 'unknown'],
        'gen_ai.usage.input_tokens': completion.usage?.prompt_tokens ?? 0,
        'gen_ai.usage.output_tokens': completion.usage?.completion_tokens ?? 0,
      });
      const tokens = meter.createCounter('toolgate_llm_tokens', '1', 'Tokens by model and kind (prompt, completion)');
      tokens.add(completion.usage?.prompt_tokens ?? 0, { model: settings.model, kind: 'prompt' });
      tokens.add(completion.usage?.completion_tokens ?? 0, { model: settings.model, kind: 'completion' });
      return {
        content: choice?.message.content ?? null,
        toolCalls,
        finishReason: choice?.finish_reason ?? 'unknown',
        usage: {
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          completionTokens: completion.usage?.completion_tokens ?? 0,
          totalTokens: completion.usage?.total_tokens ?? 0,
        },
      };
    } catch (error) {
      const failure = classifyLlmError(error);
      observe(failure.type ?? 'error');
      throw failure;
    }
  };
}

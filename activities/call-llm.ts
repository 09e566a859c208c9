import { Context } from '@temporalio/activity';
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { ChatMessage, LlmReply, LlmRequest } from '../workflows/contract.ts';
import { whileHeartbeating } from './heartbeat.ts';
import type { LiveHub } from './live-hub.ts';
import { classifyLlmError } from './llm-errors.ts';
import { completeStreamed, completeWhole } from './llm-stream.ts';
import { describeActivitySpan, traceHeaders } from '../runtime/trace-context.ts';

export interface LlmSettings {
  model: string;
  timeoutMs: number;
  temperature?: number;
  /** Ask the model to stream (`llm.stream`). */
  stream: boolean;
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

/** The round's step this request is for: the workflow says so; rounds started before it did count assistant messages. */
function stepOf(request: LlmRequest): number {
  return request.step ?? request.messages.filter((message) => message.role === 'assistant').length + 1;
}

/**
 * One chat completion, streamed when `llm.stream` is on: the model's text goes to the live hub as it comes, the
 * round gets the complete reply either way. The client is built with maxRetries 0: Temporal's retry policy is the
 * only one.
 */
export function createCallLlm(client: OpenAI, settings: LlmSettings, live: LiveHub) {
  return async function callLlm(request: LlmRequest): Promise<LlmReply> {
    const tools: ChatCompletionTool[] = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
    const context = Context.current();
    const meter = context.metricMeter;
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
    const params = {
      model: settings.model,
      messages: request.messages.map(toOpenAi),
      ...(tools.length > 0 ? { tools, tool_choice: request.toolChoice } : {}),
      ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
    };
    const options = { timeout: settings.timeoutMs, signal: context.cancellationSignal, headers: traceHeaders() };
    // A round is its workflow; an activity run on its own (no workflow) keeps its events apart by its own id.
    const roundId = context.info.workflowExecution?.workflowId ?? context.info.activityId;
    const liveCall = settings.stream ? live.call(roundId, stepOf(request), context.info.attempt) : undefined;
    try {
      const completion = await whileHeartbeating(() =>
        liveCall ? completeStreamed(client, params, options, liveCall) : completeWhole(client, params, options),
      );
      const usage = completion.usage;
      observe('ok');
      describeActivitySpan({
        'gen_ai.request.model': settings.model,
        'gen_ai.response.finish_reasons': [completion.finishReason],
        'gen_ai.usage.input_tokens': usage?.prompt_tokens ?? 0,
        'gen_ai.usage.output_tokens': usage?.completion_tokens ?? 0,
      });
      const tokens = meter.createCounter('toolgate_llm_tokens', '1', 'Tokens by model and kind (prompt, completion)');
      tokens.add(usage?.prompt_tokens ?? 0, { model: settings.model, kind: 'prompt' });
      tokens.add(usage?.completion_tokens ?? 0, { model: settings.model, kind: 'completion' });
      return {
        content: completion.content,
        toolCalls: completion.toolCalls,
        finishReason: completion.finishReason,
        usage: {
          promptTokens: usage?.prompt_tokens ?? 0,
          completionTokens: usage?.completion_tokens ?? 0,
          totalTokens: usage?.total_tokens ?? 0,
        },
      };
    } catch (error) {
      const failure = classifyLlmError(error);
      observe(failure.type ?? 'error');
      throw failure;
    } finally {
      liveCall?.end();
    }
  };
}

// Writes an OpenAI Chat Completions answer (JSON, or SSE chunks when streaming): the wire format shared by
// the demo model and the tests' scripted LLM server.
import type { ServerResponse } from 'node:http';

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface CompletionAnswer {
  id: string;
  model: string;
  content: string | null;
  toolCalls: WireToolCall[];
  /** Prompt text used to estimate token usage (a quarter of the characters). */
  promptText: string;
  stream: boolean;
  includeUsage: boolean;
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function writeCompletion(res: ServerResponse, answer: CompletionAnswer): void {
  const finishReason = answer.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  const promptTokens = approxTokens(answer.promptText);
  const completionTokens = approxTokens(JSON.stringify([answer.content, answer.toolCalls]));
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const base = { id: answer.id, created: Math.floor(Date.now() / 1000), model: answer.model, system_fingerprint: null };

  if (answer.stream) {
    const chunk = (delta: object, finish: string | null) => ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const events: object[] = [chunk({ role: 'assistant', content: answer.content ?? '' }, null)];
    answer.toolCalls.forEach((call, index) => events.push(chunk({ tool_calls: [{ index, ...call }] }, null)));
    events.push(chunk({}, finishReason));
    if (answer.includeUsage) events.push({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
    res.end('data: [DONE]\n\n');
    return;
  }

  sendJson(res, 200, {
    ...base,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
  });
}

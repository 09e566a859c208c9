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
  /** Streamed: the content in these pieces, in order (joined they are `content`); one piece when omitted. */
  contentChunks?: string[];
  /** Reasoning text apart from the reply, as vLLM and DeepSeek-style servers send it (`reasoning_content`). */
  reasoning?: string[];
}

/** One `data:` line of a streamed answer; `kind` says which delta it carries, so a writer can pace the text. */
export interface StreamChunk {
  kind: 'content' | 'reasoning' | 'other';
  data: object;
}

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function usageOf(answer: CompletionAnswer) {
  const promptTokens = approxTokens(answer.promptText);
  const completionTokens = approxTokens(JSON.stringify([answer.content, answer.toolCalls]));
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function finishReasonOf(answer: CompletionAnswer): string {
  return answer.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

function baseOf(answer: CompletionAnswer) {
  return { id: answer.id, created: Math.floor(Date.now() / 1000), model: answer.model, system_fingerprint: null };
}

/** Splits a string into at most `count` pieces of about equal length (at least one piece). */
export function splitText(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces.length > 0 ? pieces : [text];
}

/**
 * The chunks of a streamed answer as OpenAI sends them: the role, reasoning and content deltas, each tool call
 * opened with its id and name and its arguments in fragments, the finish reason, then usage when asked for.
 */
export function completionChunks(answer: CompletionAnswer): StreamChunk[] {
  const base = baseOf(answer);
  const usageField = answer.includeUsage ? { usage: null } : {};
  const chunk = (kind: StreamChunk['kind'], delta: object, finish: string | null = null): StreamChunk => ({
    kind,
    data: {
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...usageField,
    },
  });
  // A reply without text opens with `content: null`, as OpenAI's do: the stream then reads the same as the JSON.
  const chunks = [chunk('other', { role: 'assistant', content: answer.content === null ? null : '', refusal: null })];
  for (const text of answer.reasoning ?? []) chunks.push(chunk('reasoning', { reasoning_content: text }));
  const content = answer.contentChunks ?? (answer.content ? [answer.content] : []);
  for (const text of content) chunks.push(chunk('content', { content: text }));
  answer.toolCalls.forEach((call, index) => {
    const { name, arguments: args } = call.function;
    chunks.push(
      chunk('other', { tool_calls: [{ index, id: call.id, type: 'function', function: { name, arguments: '' } }] }),
    );
    for (const piece of splitText(args, 3))
      chunks.push(chunk('other', { tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  chunks.push(chunk('other', {}, finishReasonOf(answer)));
  if (answer.includeUsage)
    chunks.push({
      kind: 'other',
      data: { ...base, object: 'chat.completion.chunk', choices: [], usage: usageOf(answer) },
    });
  return chunks;
}

export const STREAM_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

export function streamLine(chunk: StreamChunk): string {
  return `data: ${JSON.stringify(chunk.data)}\n\n`;
}

export const STREAM_END = 'data: [DONE]\n\n';

export function writeCompletion(res: ServerResponse, answer: CompletionAnswer): void {
  if (answer.stream) {
    res.writeHead(200, STREAM_HEADERS);
    for (const chunk of completionChunks(answer)) res.write(streamLine(chunk));
    res.end(STREAM_END);
    return;
  }

  sendJson(res, 200, {
    ...baseOf(answer),
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: answer.content,
          ...(answer.reasoning ? { reasoning_content: answer.reasoning.join('') } : {}),
          ...(answer.toolCalls.length > 0 ? { tool_calls: answer.toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: finishReasonOf(answer),
      },
    ],
    usage: usageOf(answer),
  });
}

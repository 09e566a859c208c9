// The scripted model of the benchmarks. The round's shape is named in the query (`bench:<shape>`); the step
// is the number of assistant messages so far, so any number of rounds can share the script.
import { firstUserMessage, type LlmReply, type LlmScript } from '../testkit/scripted-llm-server.ts';

export type RoundShape = 'three-step' | 'one-call' | 'gated' | 'streamed';

/** The streamed shape's answer: words written one chunk each, {@link STREAMED_CHUNK_DELAY_MS} apart. */
export const STREAMED_WORDS = 20;
export const STREAMED_CHUNK_DELAY_MS = 10;
const STREAMED_TEXT = Array.from({ length: STREAMED_WORDS }, (_, index) => `word${index} `);

/** What each shape does, for the report. */
export const SHAPES: Record<RoundShape, { llmCalls: number; toolCalls: number; text: string }> = {
  'three-step': {
    llmCalls: 4,
    toolCalls: 6,
    text: '3 tool steps x 2 parallel read-only calls (echo, add), then the answer: 4 LLM calls, 6 tool calls',
  },
  'one-call': { llmCalls: 2, toolCalls: 1, text: '1 read-only call (echo), then the answer: 2 LLM calls, 1 tool call' },
  gated: { llmCalls: 2, toolCalls: 1, text: '1 gated call (delete_pod, approval required), then the answer' },
  streamed: {
    llmCalls: 1,
    toolCalls: 0,
    text: `the answer at once, streamed: ${STREAMED_WORDS} chunks of one word, ${STREAMED_CHUNK_DELAY_MS} ms apart`,
  },
};

export function queryFor(shape: RoundShape, tag: string): string {
  return `bench:${shape} ${tag}`;
}

export interface BenchModel {
  script: LlmScript;
  /** Latency of every LLM reply (the scripted server's `{ delayMs, then }`). */
  delayMs: number;
}

export function benchModel(): BenchModel {
  const model: BenchModel = {
    delayMs: 0,
    script: (request) => {
      const query = firstUserMessage(request) ?? '';
      const shape = /bench:([a-z-]+)/.exec(query)?.[1] as RoundShape | undefined;
      const step = request.body.messages.filter((message) => message.role === 'assistant').length;
      let reply: LlmReply;
      switch (shape) {
        case 'three-step':
          reply =
            step < 3
              ? {
                  toolCalls: [
                    { name: 'echo', arguments: { message: `step ${step}` } },
                    { name: 'add', arguments: { a: step, b: 1 } },
                  ],
                }
              : { content: 'three steps done' };
          break;
        case 'one-call':
          reply =
            step < 1 ? { toolCalls: [{ name: 'echo', arguments: { message: 'one' } }] } : { content: 'one call done' };
          break;
        case 'gated':
          reply =
            step < 1
              ? { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'bench', name: 'pod-1' } }] }
              : { content: 'gated call done' };
          break;
        case 'streamed':
          reply = { content: STREAMED_TEXT.join(''), chunks: STREAMED_TEXT, chunkDelayMs: STREAMED_CHUNK_DELAY_MS };
          break;
        default:
          reply = { status: 400, body: { error: { message: `unknown bench query ${query.slice(0, 80)}` } } };
      }
      return model.delayMs > 0 ? { delayMs: model.delayMs, then: reply } : reply;
    },
  };
  return model;
}

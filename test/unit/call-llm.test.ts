// The LLM activity against the scripted OpenAI-compatible server through the real openai client, in Temporal's
// activity environment: streamed or not, the round gets the same reply; only the streamed one feeds the hub.
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallLlm } from '../../activities/call-llm.ts';
import { LiveHub } from '../../activities/live-hub.ts';
import { createLlmClient } from '../../activities/llm-client.ts';
import { routeByMarker, startScriptedLlmServer, type ScriptedLlmServer } from '../../testkit/scripted-llm-server.ts';
import { FailureType, type LlmReply, type LlmRequest, type LiveEvent } from '../../workflows/contract.ts';

const silentLogger: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

const request = (marker: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({
  messages: [{ role: 'user', content: `go ${marker}` }],
  tools: [{ name: 'echo', parameters: { type: 'object' } }],
  toolChoice: 'auto',
  step: 1,
  ...extra,
});

describe('callLlm', () => {
  let llm: ScriptedLlmServer;
  const hub = new LiveHub();

  beforeAll(async () => {
    llm = await startScriptedLlmServer(
      routeByMarker({
        '[text]': () => ({ content: 'Hello, world', chunks: ['Hel', 'lo, ', 'world'], reasoning: 'greet them' }),
        '[tools]': () => ({
          content: 'Checking.',
          chunks: 2,
          toolCalls: [
            { id: 'call_a', name: 'echo', arguments: { message: 'first of two calls' } },
            { id: 'call_b', name: 'echo', arguments: { message: 'second' } },
          ],
        }),
        '[calls-only]': () => ({ toolCalls: [{ id: 'call_c', name: 'echo', arguments: { message: 'x' } }] }),
        '[broken]': () => ({ content: 'never whole', chunks: 3, breakAfter: 1 }),
      }),
    );
  });
  afterAll(() => llm.close());

  const run = (stream: boolean, input: LlmRequest, roundId: string): Promise<LlmReply> =>
    new MockActivityEnvironment(
      { workflowExecution: { workflowId: roundId, runId: 'run' }, attempt: 1 },
      { logger: silentLogger },
    ).run(createCallLlm(createLlmClient({ ...baseLlm, baseURL: llm.baseURL }), { ...settings, stream }, hub), input);
  const baseLlm = { baseURL: '', apiKey: 'test', model: 'scripted', timeout: 10_000, stream: true };
  const settings = { model: 'scripted', timeoutMs: 10_000 };

  it('streamed, the reply is the same as unstreamed: content, tool calls reassembled, finish reason, usage', async () => {
    for (const marker of ['[text]', '[tools]', '[calls-only]']) {
      const streamed = await run(true, request(marker), `round-s${marker}`);
      const streamedBody = llm.requests.at(-1)!.body;
      const whole = await run(false, request(marker), `round-w${marker}`);
      expect(streamed, marker).toEqual(whole);
      expect(streamed.usage.totalTokens, marker).toBeGreaterThan(0);
      expect(streamedBody).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(llm.requests.at(-1)!.body.stream, marker).toBeUndefined();
    }
    expect(await run(true, request('[tools]'), 'round-x')).toMatchObject({
      content: 'Checking.',
      finishReason: 'tool_calls',
      toolCalls: [
        { id: 'call_a', name: 'echo', arguments: '{"message":"first of two calls"}' },
        { id: 'call_b', name: 'echo', arguments: '{"message":"second"}' },
      ],
    });
  });

  it('publishes text and reasoning deltas to the hub, never tool-call fragments; unstreamed publishes nothing', async () => {
    await run(true, request('[tools]', { step: 4 }), 'round-t');
    expect(hub.snapshot('round-t')).toEqual([
      { type: 'token', step: 4, attempt: 1, seq: 0, text: 'Check' },
      { type: 'token', step: 4, attempt: 1, seq: 1, text: 'ing.' },
    ]);
    await run(true, request('[text]', { step: 2 }), 'round-r');
    expect(hub.snapshot('round-r').map((event) => [event.type, 'text' in event && event.text])).toEqual([
      ['reasoning', 'greet them'],
      ['token', 'Hel'],
      ['token', 'lo, '],
      ['token', 'world'],
    ]);
    await run(false, request('[text]'), 'round-quiet');
    expect(hub.snapshot('round-quiet')).toEqual([]);
  });

  it('counts the step from the conversation when the round does not send it (rounds started before it did)', async () => {
    const { step: _step, ...old } = request('[text]', {
      messages: [
        { role: 'user', content: 'go [text]' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'echo', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c1', content: 'ok' },
      ],
    });
    await run(true, old, 'round-old');
    expect(new Set(hub.snapshot('round-old').map((event: LiveEvent) => event.step))).toEqual(new Set([2]));
  });

  it('a stream that breaks mid-way fails the attempt as retryable (LlmUnavailable)', async () => {
    const failure = await run(true, request('[broken]'), 'round-b').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.LlmUnavailable, nonRetryable: false });
    expect(hub.snapshot('round-b')).toEqual([{ type: 'token', step: 1, attempt: 1, seq: 0, text: 'neve' }]);
  });
});

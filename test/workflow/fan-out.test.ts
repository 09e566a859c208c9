// A model reply with more tool calls than one reply may run (round.maxToolCallsPerReply, default 8): the first
// ones run, every other one is answered as not run and why, on the dev server with the scripted LLM and a real
// MCP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsQuery } from '../../workflows/contract.ts';
import { lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { echoes, startEchoStack, type EchoStack } from '../support/echo-stack.ts';
import type { Harness } from '../support/round-harness.ts';

describe('tool calls per reply', () => {
  let stack: EchoStack;
  let harness: Harness;
  let requestsOf: EchoStack['requestsOf'];
  let echoed: EchoStack['echoed'];

  beforeAll(async () => {
    stack = await startEchoStack();
    ({ harness, requestsOf, echoed } = stack);
  });

  afterAll(() => stack?.close());

  it('runs 8 calls of a reply of 20 and tells the model about the other 12', { timeout: 60_000 }, async () => {
    harness.routes['f-20'] = scriptedSteps({ toolCalls: echoes(20, 'f-20') }, { content: 'enough' });
    const handle = await harness.start({ query: 'f-20' });
    const result = await handle.result();

    expect(
      echoed('f-20')
        .map((call) => String(call.arguments.message))
        .sort(),
    ).toEqual(Array.from({ length: 8 }, (_, index) => `f-20-${index}`));
    expect(result.toolCalls.filter((call) => call.outcome === 'succeeded').map((call) => call.callIndex)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7,
    ]);
    const skipped = result.toolCalls.filter((call) => call.callIndex >= 8);
    expect(skipped).toHaveLength(12);
    for (const call of skipped) expect(call).toMatchObject({ outcome: 'invalid', attempts: 0 });

    // The model's next request answers every one of the 20 tool_call ids; the 12 say why they did not run.
    const answers = lastToolMessages(requestsOf('f-20')[1]!);
    expect(answers).toHaveLength(20);
    const notRun = answers.filter((message) => messageText(message).includes('was not run'));
    expect(notRun).toHaveLength(12);
    for (const message of notRun) {
      expect(messageText(message)).toContain('this reply asked for 20 tool calls and at most 8 of one reply run');
      expect(messageText(message)).toContain('call it again in a later step');
    }
    const events = (await handle.query(eventsQuery, 0)).events;
    expect(events.filter((event) => event.type === 'tool_call')).toHaveLength(20);
    expect(events.filter((event) => event.type === 'tool_result' && event.outcome === 'invalid')).toHaveLength(12);
  });

  it('runs fewer when the round input lowers the bound', { timeout: 60_000 }, async () => {
    harness.routes['f-low'] = scriptedSteps({ toolCalls: echoes(5, 'f-low') }, { content: 'enough' });
    const handle = await harness.start({ query: 'f-low', maxToolCallsPerReply: 3 });
    const result = await handle.result();
    expect(echoed('f-low')).toHaveLength(3);
    expect(result.toolCalls.map((call) => call.outcome)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'invalid',
      'invalid',
    ]);
    const notRun = lastToolMessages(requestsOf('f-low')[1]!).filter((message) =>
      messageText(message).includes('at most 3 of one reply run'),
    );
    expect(notRun).toHaveLength(2);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

// The requester's LLM token quota (input.quota, filled by the API): the round does not call the model once its own
// usage reaches what was left, and its final event says what is left, on the dev server with the scripted LLM.
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureType, eventsQuery, type RoundEvent, type TokenQuota } from '../../workflows/contract.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { echoes, startEchoStack, type EchoStack } from '../support/echo-stack.ts';
import type { Harness, RoundHandle } from '../support/round-harness.ts';

async function finalEvent(handle: RoundHandle): Promise<RoundEvent> {
  const page = await handle.query(eventsQuery, 0);
  return page.events.at(-1)!;
}

function quota(remaining: number): TokenQuota {
  return { period: 'day', limit: 5000, remaining, resetsAt: '2026-12-07T00:00:00.000Z' };
}

describe('token quota', () => {
  let stack: EchoStack;
  let harness: Harness;
  let requestsOf: EchoStack['requestsOf'];
  let echoed: EchoStack['echoed'];

  beforeAll(async () => {
    stack = await startEchoStack();
    ({ harness, requestsOf, echoed } = stack);
  });

  afterAll(() => stack?.close());

  it('stops before an LLM call its token quota no longer covers', { timeout: 60_000 }, async () => {
    harness.routes['q-used'] = scriptedSteps({ toolCalls: echoes(1, 'q-used') }, { content: 'never asked' });
    const handle = await harness.start({ query: 'q-used', quota: quota(10) });
    const error = await handle.result().catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe(FailureType.TokenQuotaExhausted);
    expect(cause.message).toMatch(
      /The LLM token quota of carol is used up: 5000 tokens per day, 10 were left when this round started and it has used \d+\. The model was not asked again; the quota resets at 2026-12-07T00:00:00.000Z/,
    );
    // One LLM call (the quota covered it), its tool call ran, and the model was not asked again.
    expect(requestsOf('q-used')).toHaveLength(1);
    expect(echoed('q-used')).toHaveLength(1);
    expect(await finalEvent(handle)).toMatchObject({
      type: 'round_failed',
      error: { type: FailureType.TokenQuotaExhausted },
      availableQuotas: { tokensPerDay: 0 },
    });
  });

  it('asks the model nothing when no quota is left', { timeout: 60_000 }, async () => {
    harness.routes['q-none'] = scriptedSteps({ content: 'never asked' });
    const handle = await harness.start({ query: 'q-none', quota: quota(0) });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(requestsOf('q-none')).toHaveLength(0);
    expect(await finalEvent(handle)).toMatchObject({ type: 'round_failed', availableQuotas: { tokensPerDay: 0 } });
  });

  it('reports the tokens left in its final event', { timeout: 60_000 }, async () => {
    harness.routes['q-left'] = scriptedSteps({ content: 'the answer' });
    const handle = await harness.start({ query: 'q-left', quota: quota(4000) });
    const result = await handle.result();
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    expect(await finalEvent(handle)).toMatchObject({
      type: 'round_completed',
      availableQuotas: { tokensPerDay: 4000 - result.usage.totalTokens },
    });
    // Without a quota, the final event reports none.
    harness.routes['q-free'] = scriptedSteps({ content: 'free' });
    const free = await harness.start({ query: 'q-free' });
    await free.result();
    expect(await finalEvent(free)).not.toHaveProperty('availableQuotas');
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

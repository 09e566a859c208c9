// Live token streaming from the worker's side: the worker advertises its live server, the LLM activity streams
// the model's text into it while the round's history keeps only the complete reply.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveUrlOf } from '../../runtime/live-identity.ts';
import { readLive } from '../../testkit/live-client.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { firstUserMessage, scriptedSteps, type LlmScript } from '../../testkit/scripted-llm-server.ts';
import type { LiveEvent } from '../../workflows/contract.ts';
import { historyPayloads } from '../support/history-payloads.ts';
import { startHarness, type Harness, type RoundHandle } from '../support/round-harness.ts';

const texts = (events: LiveEvent[], step: number) =>
  events.flatMap((event) => (event.type === 'token' && event.step === step ? [event.text] : []));

/** Lets the test's reader connect before the round's first reply starts. */
const READER_HEAD_START_MS = 300;

/**
 * Event types and payload bytes: what a round's history holds. Local activity markers' timing data is left out:
 * its times are JSON numbers of varying digits.
 */
async function historyShape(handle: RoundHandle): Promise<{ types: string[]; payloadBytes: number }> {
  const history = await handle.fetchHistory();
  const payloads = historyPayloads(history).filter(
    ({ path }) => !path.includes('markerRecordedEventAttributes.details.data'),
  );
  return {
    types: (history.events ?? []).map((event) => String(event.eventType)),
    payloadBytes: payloads.reduce((sum, { payload }) => sum + (payload.data?.length ?? 0), 0),
  };
}

/** A round of two steps: text and a tool call, then the answer in paced chunks with reasoning. */
const twoSteps = (): LlmScript =>
  scriptedSteps(
    {
      delayMs: READER_HEAD_START_MS,
      then: {
        content: 'Let me check. ',
        chunks: 2,
        toolCalls: [{ id: 'call_live', name: 'echo', arguments: { message: 'a tool call is never streamed as text' } }],
      },
    },
    {
      content: 'The echo said hello.',
      chunks: ['The echo ', 'said ', 'hello.'],
      chunkDelayMs: 200,
      reasoning: 'the tool answered',
    },
  );

describe('live streaming on the worker', () => {
  let harness: Harness;
  let unstreamed: Harness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'web' });
    const servers = [{ name: 'web', transport: 'http', url: mcp.url, trusted: true, approval: 'annotations' }];
    harness = await startHarness({ servers });
    unstreamed = await startHarness({ servers, llm: { stream: false } });
  });
  afterAll(async () => {
    await harness?.close();
    await unstreamed?.close();
    await mcp?.close();
  });

  const liveUrl = () => harness.worker!.live.url;

  it("advertises the live server's URL in the identity it polls the task queue with", async () => {
    const pollerUrls = async () => {
      const { pollers } = await harness.connection.workflowService.describeTaskQueue({
        namespace: harness.config.temporal.namespace,
        taskQueue: { name: harness.config.temporal.taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return pollers.map((poller) => liveUrlOf(poller.identity ?? ''));
    };
    // A poller is listed once its first poll reached the server.
    await expect.poll(pollerUrls, { timeout: 10_000 }).toContain(harness.worker!.live.url);
    expect(harness.worker!.live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("streams each step's text to a signed reader as the model sends it, step and seq on every token", async () => {
    harness.routes['live-two-steps'] = twoSteps();
    const handle = await harness.start({ query: 'live-two-steps echo hello' });
    const read = await readLive(liveUrl(), handle.workflowId, {
      until: (events) => texts(events, 2).join('') === 'The echo said hello.',
    });
    await handle.result();
    expect(read.status).toBe(200);
    expect(texts(read.events, 1).join('')).toBe('Let me check. ');
    expect(read.events.filter((event) => event.step === 2)).toEqual([
      { type: 'reasoning', step: 2, attempt: 1, seq: 0, text: 'the tool answered' },
      { type: 'token', step: 2, attempt: 1, seq: 0, text: 'The echo ' },
      { type: 'token', step: 2, attempt: 1, seq: 1, text: 'said ' },
      { type: 'token', step: 2, attempt: 1, seq: 2, text: 'hello.' },
    ]);
    expect(JSON.stringify(read.events)).not.toContain('never streamed'); // tool-call fragments stay out

    // Each token arrives while the model is still writing: before its next chunk is even sent.
    const sent = harness.llm.requests.filter((request) => firstUserMessage(request)?.includes('live-two-steps'));
    const chunkTimes = sent.at(-1)!.chunkTimes;
    const arrivals = read.events.flatMap((event, index) =>
      event.type === 'token' && event.step === 2 ? [read.arrivals[index]!] : [],
    );
    const latencies = arrivals.map((at, index) => at - chunkTimes[index]!);
    console.log(`live token latency (ms): ${latencies.join(', ')}`);
    expect(arrivals[0]!).toBeLessThan(chunkTimes[1]!);
    expect(arrivals[1]!).toBeLessThan(chunkTimes[2]!);
  });

  it('gives a reader that comes after the call what the worker still holds of the last step', async () => {
    harness.routes['live-late'] = scriptedSteps({ content: 'all of it, at once', chunks: 3 });
    const handle = await harness.start({ query: 'live-late say it' });
    await handle.result();
    const read = await readLive(liveUrl(), handle.workflowId, { until: (events) => events.length === 3 });
    expect(texts(read.events, 1)).toEqual(['all of', ' it, a', 't once']);
  });

  it('a retry on the same worker resets the step before its new tokens', async () => {
    harness.routes['live-retry'] = scriptedSteps(
      { delayMs: READER_HEAD_START_MS, then: { content: 'this reply breaks', chunks: 3, breakAfter: 2 } },
      { content: 'second try', chunks: 2 },
    );
    const handle = await harness.start({ query: 'live-retry go' });
    const read = await readLive(liveUrl(), handle.workflowId, {
      until: (events) => texts(events, 1).join('').endsWith('second try'),
    });
    const result = await handle.result();
    expect(result.answer).toBe('second try');
    expect(read.events).toEqual([
      { type: 'token', step: 1, attempt: 1, seq: 0, text: 'this r' },
      { type: 'token', step: 1, attempt: 1, seq: 1, text: 'eply b' },
      { type: 'token_reset', step: 1, attempt: 2 },
      { type: 'token', step: 1, attempt: 2, seq: 0, text: 'secon' },
      { type: 'token', step: 1, attempt: 2, seq: 1, text: 'd try' },
    ]);
  });

  it('streamed or not, a round ends with the same result and the same history (events, payload bytes)', async () => {
    harness.routes['live-same'] = twoSteps();
    unstreamed.routes['live-same'] = twoSteps();
    const streamedRound = await harness.start({ query: 'live-same echo hello' });
    const wholeRound = await unstreamed.start({ query: 'live-same echo hello' });
    const [streamed, whole] = await Promise.all([streamedRound.result(), wholeRound.result()]);
    const comparable = ({ answer, steps, usage, messages }: typeof streamed) => ({ answer, steps, usage, messages });
    expect(comparable(streamed)).toEqual(comparable(whole));
    expect(streamed.answer).toBe('The echo said hello.');
    const [streamedHistory, wholeHistory] = await Promise.all([historyShape(streamedRound), historyShape(wholeRound)]);
    expect(streamedHistory).toEqual(wholeHistory);
    expect(harness.llm.requests.at(-1)!.body.stream).toBe(true);
    expect(unstreamed.llm.requests.at(-1)!.body.stream).toBeUndefined();
  });
});

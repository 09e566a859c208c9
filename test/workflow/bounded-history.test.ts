// A long conversation stays within Temporal's limits: 200 tool results of 16,000 characters in one round, then
// a follow-up round that carries the transcript on. The oldest outputs give way to a marker the model sees.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { messageText } from '../../testkit/scripted-llm-server.ts';

const { History, HistoryEvent } = temporal.api.history.v1;
const STEPS = 20;
const CALLS_PER_STEP = 10;
const OUTPUT_CHARS = 16_000;
const MB = 1024 * 1024;

/** Total encoded history and its largest event (which holds the largest payload). */
async function historySize(handle: RoundHandle): Promise<{ bytes: number; largestEvent: number; events: number }> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const largestEvent = Math.max(...events.map((event) => HistoryEvent.encode(event).finish().length));
  return { bytes: History.encode(history).finish().length, largestEvent, events: events.length };
}

describe('bounded history', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'web' });
    harness = await startHarness({
      round: { maxSteps: STEPS + 1, maxToolCallsPerReply: CALLS_PER_STEP, toolOutputChars: OUTPUT_CHARS },
      servers: [{ name: 'web', transport: 'http', url: mcp.url, trusted: true }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it(
    'completes a round of 200 tool results of 16,000 characters far below the payload and history limits',
    { timeout: 240_000 },
    async () => {
      harness.routes['b-long'] = (request, index) =>
        index < STEPS
          ? {
              toolCalls: Array.from({ length: CALLS_PER_STEP }, (_, call) => ({
                name: 'big_output',
                arguments: { chars: OUTPUT_CHARS - index * CALLS_PER_STEP - call },
              })),
            }
          : { content: index === STEPS ? 'read them all' : 'and the follow-up' };
      const handle = await harness.start({ query: 'b-long' });
      const result = await handle.result();
      expect(result.toolCalls).toHaveLength(STEPS * CALLS_PER_STEP);
      expect(result.toolCalls.every((call) => call.outcome === 'succeeded' && !call.truncated)).toBe(true);
      const size = await historySize(handle);
      console.log(
        `bounded history: ${size.events} events, ${(size.bytes / MB).toFixed(2)} MB, largest event ${(size.largestEvent / 1024).toFixed(0)} KB`,
      );
      expect(size.largestEvent).toBeLessThan(MB);
      expect(size.bytes).toBeLessThan(10 * MB);
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toBe('Round completed');

      const requests = harness.llm.requests.filter((request) =>
        messageText(request.body.messages[0]).includes('b-long'),
      );
      const last = requests.at(-1)!.body.messages;
      expect(last.filter((message) => message.role === 'tool')).toHaveLength(STEPS * CALLS_PER_STEP);
      expect(
        last.some((message) =>
          messageText(message).startsWith(
            '[tool output elided to keep the conversation within its budget: 16000 characters',
          ),
        ),
      ).toBe(true);
      expect(JSON.stringify(last).length).toBeLessThan(400_000);

      // The follow-up's first user message is still b-long's: the same script answers it.
      const next = await harness.start({ query: 'b-next', messages: result.messages });
      expect((await next.result()).answer).toBe('and the follow-up');
      const followUp = await historySize(next);
      console.log(
        `follow-up round: ${(followUp.bytes / 1024).toFixed(0)} KB, largest event ${(followUp.largestEvent / 1024).toFixed(0)} KB`,
      );
      expect(followUp.largestEvent).toBeLessThan(512 * 1024);
    },
  );

  it('says so in the Web UI once a round passes 5 MB of history', { timeout: 240_000 }, async () => {
    const steps = 35;
    harness.routes['b-huge'] = (_request, index) =>
      index < steps
        ? {
            toolCalls: Array.from({ length: CALLS_PER_STEP }, (_, call) => ({
              name: 'big_output',
              arguments: { chars: OUTPUT_CHARS - call },
            })),
          }
        : { content: 'done' };
    const handle = await harness.start({ query: 'b-huge', maxSteps: steps + 1 });
    await handle.result();
    const size = await historySize(handle);
    expect(size.bytes).toBeGreaterThan(5 * MB);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^Round completed; history is large: \d\.\d MB, \d+ events$/);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

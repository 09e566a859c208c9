// Live tokens end to end: the scripted model streams in paced chunks, the worker running the LLM call serves them,
// and the API relays them to a round's event stream as `token` events without ids. Two workers (one in this
// process, one a child process that can be SIGKILLed) and two API instances on the same task queue.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LiveEvent, RoundEvent } from '../../workflows/contract.ts';
import { startApi, TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { historyPayloads, payloadText } from '../support/history-payloads.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import type { ChildService } from '../../testkit/child-processes.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  firstUserMessage,
  scriptedSteps,
  type LlmReply,
  type RecordedLlmRequest,
} from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';
import { openEvents, readEvents, type SseEvent } from '../../testkit/sse-client.ts';

const LIVE_TYPES = new Set(['token', 'reasoning', 'token_reset']);

/** `words` one chunk each, `delayMs` apart, after `waitMs` (so a client that connects at the start sees them live). */
function streamed(words: string[], delayMs: number, waitMs = 300): LlmReply {
  return { delayMs: waitMs, then: { content: words.join(''), chunks: words, chunkDelayMs: delayMs } };
}

function words(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index} `);
}

const live = (events: SseEvent[]) =>
  events
    .filter((event) => LIVE_TYPES.has(event.event ?? ''))
    .map((event) => ({ ...(JSON.parse(event.data) as LiveEvent), id: event.id, at: event.at }));
const durable = (events: SseEvent[]) =>
  events.filter((event) => !LIVE_TYPES.has(event.event ?? '')).map((event) => JSON.parse(event.data) as RoundEvent);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('live tokens', () => {
  let stack: K8sApi;
  let harness: Harness;
  let apiA: ApiHarness;
  let apiB: ApiHarness;
  let mcp: HttpMcpServer;
  let child: ChildService | undefined;

  /** The LLM requests of the round asked `query` (each test's query is its own). */
  const requestsOf = (query: string): RecordedLlmRequest[] =>
    harness.llm.requests.filter((request) => firstUserMessage(request) === query);

  async function start(api: ApiHarness, query: string, person: Person = 'carol'): Promise<string> {
    const started = await api.request(person, 'POST', '/v1/rounds', { query });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const roundId = (started.body as { roundId: string }).roundId;
    harness.roundIds.push(roundId);
    return roundId;
  }

  const follow = (api: ApiHarness, roundId: string, person: Person = 'carol', lastEventId?: number) =>
    readEvents(`${api.url}/v1/rounds/${roundId}/events`, {
      token: TOKENS[person],
      ...(lastEventId === undefined ? {} : { lastEventId }),
      until: (event) => event.event === 'round_completed' || event.event === 'round_failed',
      timeoutMs: 50_000,
    });

  /** The live URL of the worker that ran the round's first workflow task. */
  async function workerOf(roundId: string): Promise<string> {
    const history = await harness.client.workflow.getHandle(roundId).fetchHistory();
    const identity = history.events?.find((event) => event.workflowTaskStartedEventAttributes)
      ?.workflowTaskStartedEventAttributes?.identity;
    return / live=(\S+)$/.exec(identity ?? '')?.[1] ?? `no live URL in ${identity}`;
  }

  beforeAll(async () => {
    stack = await startK8sApi({ approvers: ['alice'], tools: { slow: { approval: 'never' } } });
    ({ harness, mcp, api: apiA } = stack);
    apiB = await startApi(harness);
    // The same Worker Deployment version as the in-process worker: a round pinned to it may move between them.
    const configPath = writeConfig(join(mkdtempSync(join(tmpdir(), 'toolgate-live-')), 'worker.yaml'), {
      temporal: {
        address: inject('temporalAddress'),
        taskQueue: harness.config.temporal.taskQueue,
        deployment: { buildId: harness.worker!.version!.buildId, promote: false },
      },
      llm: { baseURL: harness.llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      // `slow` needs no approval here: a remote call whose step's events are written before the next LLM call.
      servers: [
        { name: 'k8s', transport: 'http', url: mcp.url, trusted: true, tools: { slow: { approval: 'never' } } },
      ],
    });
    child = await spawnWorker(configPath, 150_000);
  });

  afterAll(async () => {
    await child?.stop();
    await apiB?.close();
    await stack?.close();
  });

  it('streams tokens in order before llm_step, each soon after the model wrote it, and keeps them out of history', async () => {
    const text = words('Zq', 8);
    harness.routes['l-basic'] = scriptedSteps(streamed(text, 80));
    const roundId = await start(apiA, 'l-basic');
    const { events } = await follow(apiA, roundId);

    const tokens = live(events);
    expect(tokens.map((token) => token.type)).toEqual(text.map(() => 'token'));
    expect(tokens.map((token) => (token.type === 'token' ? token.seq : -1))).toEqual(text.map((_, index) => index));
    expect(tokens.every((token) => token.step === 1 && token.id === undefined)).toBe(true);
    expect(tokens.map((token) => (token.type === 'token' ? token.text : '')).join('')).toBe(text.join(''));
    // Every token before the durable event of its step; durable ids unchanged by them.
    const types = events.map((event) => event.event);
    expect(types.lastIndexOf('token')).toBeLessThan(types.indexOf('llm_step'));
    expect(durable(events).map((event) => event.id)).toEqual(durable(events).map((_, index) => index + 1));

    const [request] = requestsOf('l-basic');
    const delays = tokens.map((token) => token.at - request!.chunkTimes[token.type === 'token' ? token.seq : -1]!);
    console.log(
      `live token latency (chunk written -> client), ${delays.length} tokens: p50 ${percentile(delays, 50)} ms, max ${Math.max(...delays)} ms`,
    );
    // ~100 ms is the aim (see the benchmark); the bound is generous for a loaded CI machine.
    expect(Math.max(...delays)).toBeLessThan(1000);

    // History holds the text once, as the reply: no piece of it apart from the whole.
    const history = await harness.client.workflow.getHandle(roundId).fetchHistory();
    const texts = historyPayloads(history).map(({ payload }) => payloadText(payload));
    expect(texts.some((item) => item.includes(text.join('')))).toBe(true);
    expect(texts.map((item) => item.split(text.join('')).join('')).filter((item) => item.includes('Zq'))).toEqual([]);
  });

  it('sends an approver who is not the requester none of the text, while the requester gets it', async () => {
    harness.routes['l-approver'] = scriptedSteps(
      {
        delayMs: 300,
        then: {
          toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'l-approver' } }],
          content: 'I will delete the pod. ',
          chunks: ['I will ', 'delete ', 'the pod. '],
          chunkDelayMs: 50,
        },
      },
      streamed(words('done', 4), 50, 0),
    );
    const roundId = await start(apiA, 'l-approver');
    const requester = openEvents(`${apiA.url}/v1/rounds/${roundId}/events`, { token: TOKENS.carol });
    try {
      await expect
        .poll(() => requester.events.find((event) => event.event === 'approval_required'), { timeout: 20_000 })
        .toBeDefined();
      // Alice may read the round once it holds an approval she may decide: from the start, with Last-Event-ID 0.
      const approver = await readEvents(`${apiB.url}/v1/rounds/${roundId}/events`, {
        token: TOKENS.alice,
        until: (event) => event.event === 'approval_required',
      });
      const { approvalId, argsDigest } = (
        JSON.parse(approver.events.at(-1)!.data) as { approval: { approvalId: string; argsDigest: string } }
      ).approval;
      const following = readEvents(`${apiB.url}/v1/rounds/${roundId}/events`, {
        token: TOKENS.alice,
        lastEventId: Number(approver.events.at(-1)!.id),
      });
      const decided = await apiB.request('alice', 'POST', `/v1/approvals/${approvalId}`, {
        decision: 'approve',
        argsDigest,
      });
      expect(decided.status).toBe(202);
      const rest = await following;
      // Both streams end by themselves after the final event.
      expect(rest.ended).toBe(true);
      expect((await requester.closed).ended).toBe(true);
      expect([...approver.events, ...rest.events].map((event) => event.event)).toEqual([
        'round_started',
        'approval_required',
        'approval_decided',
        'round_completed',
      ]);
    } finally {
      requester.close();
    }
    const shown = live(requester.events);
    expect(shown.filter((token) => token.step === 1).map((token) => token.type === 'token' && token.text)).toEqual([
      'I will ',
      'delete ',
      'the pod. ',
    ]);
    expect(shown.filter((token) => token.step === 2)).toHaveLength(4);
  });

  it('reaches a client of either API whichever of two workers runs the round', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 12 && seen.size < 2; round++) {
      const text = words(`w${round}x`, 3);
      harness.routes[`l-either-${round}`] = scriptedSteps(streamed(text, 30, 500));
      const roundId = await start(round % 2 ? apiA : apiB, `l-either-${round}`);
      const [viaA, viaB] = await Promise.all([follow(apiA, roundId), follow(apiB, roundId)]);
      for (const { events } of [viaA, viaB]) {
        expect(live(events).map((token) => (token.type === 'token' ? token.text : token.type))).toEqual(text);
      }
      seen.add(await workerOf(roundId));
    }
    expect(seen.size, [...seen].join(', ')).toBe(2);
  });

  it(
    'a worker killed mid-stream: the retry on the other worker streams again, after token_reset for the step',
    {
      timeout: 120_000,
    },
    async () => {
      expect(child, 'the child worker').toBeDefined();
      // Only the child polls while the round starts, so the call streams from the worker the test can kill.
      await harness.stopWorker();
      const first = words('first', 12);
      const again = words('again', 4);
      harness.routes['l-kill'] = scriptedSteps(streamed(first, 300), streamed(again, 30, 0));
      const roundId = await start(apiB, 'l-kill');
      const client = openEvents(`${apiB.url}/v1/rounds/${roundId}/events`, { token: TOKENS.carol });
      await expect.poll(() => live(client.events).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      await harness.startWorker();
      await child!.stop('SIGKILL');
      child = undefined;
      // The workflow task times out on the dead worker, and the in-process one runs the step again.
      await client.closed;

      const shown = live(client.events);
      const reset = shown.findIndex((event) => event.type === 'token_reset');
      expect(reset, JSON.stringify(shown)).toBeGreaterThanOrEqual(2);
      expect(shown[reset]).toMatchObject({ type: 'token_reset', step: 1 });
      expect(shown.slice(0, reset).every((event) => event.type === 'token' && event.text.startsWith('first'))).toBe(
        true,
      );
      expect(shown.slice(reset + 1).map((event) => (event.type === 'token' ? event.text : event.type))).toEqual(again);
      const final = durable(client.events).at(-1);
      expect(final).toMatchObject({ type: 'round_completed', answer: again.join('') });
      expect(requestsOf('l-kill')).toHaveLength(2);
    },
  );

  it('a reconnecting client gets the durable events as before and the current step’s tokens still held', async () => {
    const text = words('held', 10);
    // A remote tool call first: its step's durable events are out before the answer streams (reads would run in
    // the same workflow task as the answer's LLM call, their events written with it).
    harness.routes['l-resume'] = scriptedSteps(
      { toolCalls: [{ name: 'slow', arguments: { ms: 1 } }] },
      streamed(text, 200, 0),
    );
    const roundId = await start(apiA, 'l-resume');
    const before = await readEvents(`${apiA.url}/v1/rounds/${roundId}/events`, {
      token: TOKENS.carol,
      until: (event) => event.event === 'token' && (JSON.parse(event.data) as { seq: number }).seq === 2,
    });
    const lastId = Number(before.events.filter((event) => event.id !== undefined).at(-1)!.id);
    const after = await follow(apiB, roundId, 'carol', lastId);

    // Durable: from the next id on, exactly as a full read of the ended round gives them.
    const full = await follow(apiA, roundId);
    expect(live(full.events)).toEqual([]);
    expect(durable(after.events)).toEqual(durable(full.events).filter((event) => event.id > lastId));
    // Live: the step's tokens from the first, those sent before the reconnect included, each once and in order.
    const resumed = live(after.events);
    expect(resumed.map((token) => (token.type === 'token' ? token.seq : -1))).toEqual(text.map((_, index) => index));
    expect(resumed.map((token) => (token.type === 'token' ? token.text : '')).join('')).toBe(text.join(''));
  });
});

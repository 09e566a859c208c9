// Reads that need no approval run as local activities (workflows/local-reads.ts): no ActivityTaskScheduled, a
// step in one workflow task; gated and non-idempotent calls stay activities; the model is told what it was told
// before; a worker lost mid-read makes the next one repeat the read, and nothing else that ran.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decideUpdate, type QueryRoundResult } from '../../workflows/contract.ts';
import { LOCAL_READS_PATCH } from '../../workflows/local-reads.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  lastToolMessages,
  messageText,
  scriptedSteps,
  startScriptedLlmServer,
  type LlmScript,
} from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';
import { historyShape } from '../support/history-shape.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';

const { HistoryEvent } = temporal.api.history.v1;
const alice = { id: 'alice', channel: 'http' } as const;
const retry = { maxAttempts: 3, initialDelay: '100ms', maxDelay: '500ms' };
// `write_record` runs without approval, but is neither read-only nor idempotent.
const k8sServer = (url: string) => ({
  name: 'k8s',
  transport: 'http',
  url,
  trusted: true,
  retry,
  tools: { write_record: { approval: 'never' } },
});

const shapeOf = async (handle: RoundHandle) => historyShape((await handle.fetchHistory()).events ?? []);

/** The model's reply by the number of its earlier replies: the same step gets the same reply when asked again. */
const byStep =
  (...replies: Parameters<typeof scriptedSteps>): LlmScript =>
  (request) => {
    const step = request.body.messages.filter((message) => message.role === 'assistant').length;
    return scriptedSteps(...replies)(request, step);
  };

describe('reads as local activities', () => {
  let harness: Harness;
  let k8s: HttpMcpServer;

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [k8sServer(k8s.url)], round: { maxSteps: 12 } });
  });

  afterAll(async () => {
    await harness?.close();
    await k8s?.close();
  });

  it("runs the benchmark's 3-step round of reads in one workflow task, without an activity task", async () => {
    const step = (n: number) => ({
      toolCalls: [
        { name: 'echo', arguments: { message: `step ${n}` } },
        { name: 'add', arguments: { a: n, b: 1 } },
      ],
    });
    harness.routes['l-three'] = scriptedSteps(step(0), step(1), step(2), { content: 'three steps done' });
    const handle = await harness.start({ query: 'l-three' });
    const result = await handle.result();
    expect(result.answer).toBe('three steps done');
    expect(result.toolCalls.map(({ outcome, attempts, content }) => ({ outcome, attempts, content }))).toEqual(
      [0, 1, 2].flatMap((n) => [
        { outcome: 'succeeded', attempts: 1, content: `echo: step ${n}` },
        { outcome: 'succeeded', attempts: 1, content: String(n + 1) },
      ]),
    );
    const shape = await shapeOf(handle);
    console.log(`3-step round of reads: ${shape.events} events, ${shape.workflowTasks} workflow task(s)`);
    expect(shape.activities).toEqual([]);
    expect(shape.localActivities.filter((type) => type === 'callTool')).toHaveLength(6);
    expect(shape.workflowTasks).toBe(1);
    expect(shape.patches.filter((id) => id === LOCAL_READS_PATCH)).toHaveLength(1);
  });

  it('keeps a reply with a gated call, or with a write that needs no approval, on activities', async () => {
    harness.routes['l-mixed'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'delete_pod', arguments: { namespace: 'dev', name: 'l-mixed' } },
          { name: 'echo', arguments: { message: 'beside a gated call' } },
        ],
      },
      {
        toolCalls: [
          { name: 'write_record', arguments: { key: 'l-mixed' } },
          { name: 'echo', arguments: { message: 'beside a write' } },
        ],
      },
      { content: 'mixed' },
    );
    const handle = await harness.start({ query: 'l-mixed' });
    const [approval] = await waitForPendingApprovals(handle);
    await handle.executeUpdate(decideUpdate, {
      args: [signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice })],
    });
    const result = await handle.result();
    expect(result.toolCalls.map((call) => call.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const shape = await shapeOf(handle);
    expect(shape.activities.filter((type) => type === 'callTool')).toHaveLength(4);
    expect(shape.localActivities).not.toContain('callTool');
    // Every new round marks the patch in its first task; these replies still ran remotely.
    expect(shape.patches).toEqual([LOCAL_READS_PATCH]);
  });

  it('tells the model what a failing read said, word for word as when it ran as an activity', async () => {
    const failing = [
      { name: 'fail', arguments: { reason: 'no such pod l-fail' } },
      { name: 'strict_echo', arguments: { message: 'reject l-fail' } },
    ];
    // Alone in their step, as in the stored history of this shape.
    const retried = { name: 'read_record', arguments: { key: 'l-fail', fault: '502' } };
    const gate = (name: string) => ({ name: 'delete_pod', arguments: { namespace: 'dev', name } });
    harness.routes['l-fail-local'] = scriptedSteps(
      { toolCalls: failing },
      { toolCalls: [retried] },
      { content: 'told' },
    );
    // The same reads beside a gated call (rejected) run as activities.
    harness.routes['l-fail-remote'] = scriptedSteps(
      { toolCalls: [gate('l-fail-1'), ...failing] },
      { toolCalls: [gate('l-fail-2'), retried] },
      { content: 'told' },
    );
    const localHandle = await harness.start({ query: 'l-fail-local' });
    const local = await localHandle.result();
    const remoteHandle = await harness.start({ query: 'l-fail-remote' });
    for (let step = 0; step < 2; step++) {
      const [approval] = await waitForPendingApprovals(remoteHandle);
      await remoteHandle.executeUpdate(decideUpdate, {
        args: [signedDecision({ approvalId: approval!.approvalId, decision: 'reject', reason: 'no', approver: alice })],
      });
    }
    const remote = await remoteHandle.result();
    const reads = (result: QueryRoundResult) =>
      result.toolCalls
        .filter((call) => call.name !== 'delete_pod')
        .map(({ name, outcome, attempts, content }) => ({ name, outcome, attempts, content }));
    expect(reads(local)).toEqual(reads(remote));
    expect(reads(local).map(({ outcome, attempts }) => ({ outcome, attempts }))).toEqual([
      { outcome: 'tool_error', attempts: 1 },
      { outcome: 'invalid', attempts: 1 },
      { outcome: 'failed', attempts: 3 },
    ]);
    // What the model read, not only the records: the tool messages of each step.
    const told = (marker: string) =>
      harness.llm.requests
        .filter((request) => JSON.stringify(request.body.messages).includes(marker))
        .flatMap((request) => lastToolMessages(request).map(messageText))
        .filter((text) => !text.includes('rejected by'));
    expect(told('l-fail-local')).toEqual(told('l-fail-remote'));
    expect(told('l-fail-local')).toHaveLength(3);
    const activities = async (handle: RoundHandle) =>
      (await shapeOf(handle)).activities.filter((type) => type === 'callTool');
    expect(await activities(remoteHandle)).toHaveLength(5);
    expect(await activities(localHandle)).toEqual([]);
  });

  it('keeps a read running past its workflow task timeout: the worker heartbeats the task', async () => {
    harness.routes['l-long'] = scriptedSteps(
      { toolCalls: [{ name: 'slow_read', arguments: { ms: 5000 } }] },
      {
        content: 'read it all',
      },
    );
    const roundId = `round-${randomUUID()}`;
    harness.roundIds.push(roundId);
    const handle = await harness.client.workflow.start<typeof queryRound>('queryRound', {
      taskQueue: harness.config.temporal.taskQueue,
      workflowId: roundId,
      args: [testSigner.roundInput(roundId, { query: 'l-long', requester: 'carol' })],
      workflowTaskTimeout: '2s',
    });
    const result = await handle.result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'succeeded', attempts: 1, content: 'slept 5000' });
    expect(k8s.calls.filter((call) => call.tool === 'slow_read' && call.arguments.ms === 5000)).toHaveLength(1);
    const shape = await shapeOf(handle);
    expect(shape.activities).toEqual([]);
    expect(shape.workflowTasks).toBeGreaterThanOrEqual(3);
  });

  it('ends a workflow task before its local results could pass the completion size limit', async () => {
    const reads = Array.from({ length: 8 }, (_, call) => ({ name: 'big_output', arguments: { chars: 16_000 - call } }));
    harness.routes['l-big'] = (_request, index) => (index < 10 ? { toolCalls: reads } : { content: 'big' });
    const handle = await harness.start({ query: 'l-big' });
    const result = await handle.result();
    expect(result.toolCalls.filter((call) => call.outcome === 'succeeded')).toHaveLength(80);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(historyShape(events).activities).toEqual([]);
    const ends = events.filter(
      (event) =>
        event.timerStartedEventAttributes &&
        event.userMetadata?.summary &&
        defaultPayloadConverter.fromPayload<string>(event.userMetadata.summary).startsWith('end the workflow task'),
    );
    expect(ends.length).toBeGreaterThanOrEqual(1);
    // What each task's completion recorded: well below the 4 MB a completion may carry.
    const recorded: number[] = [0];
    for (const event of events) {
      if (event.workflowTaskCompletedEventAttributes) recorded.push(0);
      else recorded[recorded.length - 1]! += HistoryEvent.encode(event).finish().length;
    }
    expect(Math.max(...recorded)).toBeLessThan(2 * 1024 * 1024);
  });

  it('replays every round of this file', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

describe('a worker SIGKILLed during a local read', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-local-reads-'));
  let k8s: HttpMcpServer;

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
  });

  afterAll(async () => {
    await k8s?.close();
  });

  it('makes the next worker repeat the read, and not the write that ran before it', async () => {
    const llm = await startScriptedLlmServer(
      byStep(
        { toolCalls: [{ name: 'write_record', arguments: { key: 'l-kill' } }] },
        { toolCalls: [{ name: 'slow_read', arguments: { ms: 4321 } }] },
        { content: 'read after the crash' },
      ),
    );
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-l-kill-${randomUUID()}`;
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      servers: [k8sServer(k8s.url)],
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    const first = await spawnWorker(configPath);
    let second: Awaited<ReturnType<typeof spawnWorker>> | undefined;
    try {
      const roundId = `round-${randomUUID()}`;
      const handle = await client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId: roundId,
        args: [testSigner.roundInput(roundId, { query: 'l-kill', requester: 'carol' })],
      });
      const reads = () => k8s.calls.filter((call) => call.tool === 'slow_read').length;
      await expect.poll(reads, { timeout: 20_000 }).toBe(1);
      await first.stop('SIGKILL');
      second = await spawnWorker(configPath);
      const result = await handle.result();
      expect(result.answer).toBe('read after the crash');
      expect(result.toolCalls.map(({ name, outcome, attempts }) => ({ name, outcome, attempts }))).toEqual([
        { name: 'write_record', outcome: 'succeeded', attempts: 1 },
        { name: 'slow_read', outcome: 'succeeded', attempts: 1 },
      ]);
      expect(reads()).toBe(2);
      expect(k8s.calls.filter((call) => call.tool === 'write_record')).toHaveLength(1);
      const shape = historyShape((await handle.fetchHistory()).events ?? []);
      expect(shape.activities).toEqual(['callTool']);
    } finally {
      await second?.stop('SIGTERM');
      await first.stop('SIGKILL').catch(() => undefined);
      await connection.close();
      await llm.close();
    }
  });
});

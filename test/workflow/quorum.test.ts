// Quorum approvals on a real dev server and worker: "2 of oncall and 1 of dba", distinct people, one vote each,
// the first rejection (or a defeated quorum) closes it, and a worker SIGKILLed between votes loses none.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  FailureType,
  decideSignal,
  decideUpdate,
  eventsQuery,
  stateQuery,
  type Decision,
} from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  lastToolMessages,
  messageText,
  scriptedSteps,
  startScriptedLlmServer,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';

const groups = { oncall: ['alice', 'bob', 'erin', 'carol'], dba: ['dave', 'frank'] };
const quorum = [
  { group: 'oncall', count: 2 },
  { group: 'dba', count: 1 },
];

describe('quorum approvals', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;
  const deletes = (marker: string) =>
    mcp.calls.filter((call) => call.tool === 'delete_pod' && call.arguments.name === marker);

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice'], groups, timeout: '10m' },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          quorum,
          tools: {
            scale_deployment: { quorum: [{ group: 'oncall', count: 2 }], rejectWith: 'quorum' },
            write_file: { quorum: [{ group: 'oncall', count: 2 }], approvalTimeout: '3s' },
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  async function vote(handle: RoundHandle, approvalId: string, id: string, decision: Decision = 'approve') {
    return handle.executeUpdate(decideUpdate, {
      args: [signedDecision({ approvalId, decision, approver: { id, channel: 'http' } })],
    });
  }

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }

  it('opens for 2 of oncall and 1 of dba, counts each person once and runs the call when all are met', async () => {
    harness.routes['q-met'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'q-met' } }] },
      { content: 'deleted by quorum' },
    );
    const handle = await harness.start({ query: 'q-met', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const id = approval!.approvalId;
    expect(approval!.quorum).toMatchObject({
      rejectWith: 'first',
      needed: [
        { group: 'oncall', count: 2 },
        { group: 'dba', count: 1 },
      ],
      decided: [],
    });
    expect(approval!.approvers.sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank']);

    expect(await vote(handle, id, 'alice')).toMatchObject({
      status: 'pending',
      applied: true,
      quorum: {
        needed: [
          { group: 'oncall', count: 1 },
          { group: 'dba', count: 1 },
        ],
      },
    });
    // Not the same person twice, never the requester, nobody outside the groups.
    expect(await refusal(vote(handle, id, 'alice'))).toBe(FailureType.AlreadyDecided);
    expect(await refusal(vote(handle, id, 'carol'))).toBe(FailureType.NotAnApprover);
    expect(await refusal(vote(handle, id, 'mallory'))).toBe(FailureType.NotAnApprover);
    await vote(handle, id, 'bob');
    // oncall is full: a third oncall member counts toward nothing still needed.
    expect(await refusal(vote(handle, id, 'erin'))).toBe(FailureType.DecisionNotNeeded);
    expect(deletes('q-met')).toHaveLength(0);
    expect(await vote(handle, id, 'dave')).toMatchObject({ status: 'approved', applied: true, quorum: { needed: [] } });

    const round = await handle.result();
    expect(round.answer).toBe('deleted by quorum');
    expect(deletes('q-met')).toHaveLength(1);
    const record = round.approvals[0]!;
    expect(record).toMatchObject({ status: 'approved', decision: { approver: { id: 'dave' } } });
    expect(record.decisions!.map((decision) => decision.approver.id)).toEqual(['alice', 'bob', 'dave']);
    expect(record.quorum!.decided).toEqual([
      { approver: 'alice', decision: 'approve', group: 'oncall' },
      { approver: 'bob', decision: 'approve', group: 'oncall' },
      { approver: 'dave', decision: 'approve', group: 'dba' },
    ]);
    const events = (await handle.query(eventsQuery, 0)).events.map((event) => event.type);
    expect(events.filter((type) => type.startsWith('approval_'))).toEqual([
      'approval_required',
      'approval_counted',
      'approval_counted',
      'approval_decided',
    ]);
  });

  it('closes on the first rejection by someone who counts, and tells the model who rejected it', async () => {
    harness.routes['q-first'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'q-first' } }] },
      { content: 'not deleted' },
    );
    const handle = await harness.start({ query: 'q-first', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    await vote(handle, approval!.approvalId, 'alice');
    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: approval!.approvalId,
        decision: 'reject',
        reason: 'not during the freeze',
        approver: { id: 'dave', channel: 'slack' },
      }),
    );
    const round = await handle.result();
    expect(deletes('q-first')).toHaveLength(0);
    expect(round.approvals[0]).toMatchObject({ status: 'rejected', decision: { approver: { id: 'dave' } } });
    expect(round.approvals[0]!.decisions).toHaveLength(2);
    const second = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('q-first'),
    )[1];
    expect(messageText(lastToolMessages(second!)[0])).toMatch(/rejected by dave: not during the freeze/);
  });

  it('with rejectWith quorum, stays open after a rejection until the quorum can no longer be met', async () => {
    harness.routes['q-defeat'] = scriptedSteps(
      { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'q-defeat', replicas: 0 } }] },
      { content: 'not scaled' },
    );
    const handle = await harness.start({ query: 'q-defeat', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const id = approval!.approvalId;
    expect(await vote(handle, id, 'alice', 'reject')).toMatchObject({ status: 'pending', applied: true });
    // bob and erin can still make 2 of oncall (carol requested the call: she does not count).
    expect(await vote(handle, id, 'bob', 'reject')).toMatchObject({ status: 'rejected', applied: true });
    const round = await handle.result();
    expect(round.approvals[0]).toMatchObject({ status: 'rejected', decision: { approver: { id: 'bob' } } });
  });

  it('expires with its counted decisions kept when the quorum is not met in time, and the tool never runs', async () => {
    const writes = () => mcp.calls.filter((call) => call.tool === 'write_file' && call.arguments.path === 'q-late');
    harness.routes['q-late'] = scriptedSteps(
      { toolCalls: [{ name: 'write_file', arguments: { path: 'q-late', content: 'x' } }] },
      { content: 'not written' },
    );
    const handle = await harness.start({ query: 'q-late', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    expect(await vote(handle, approval!.approvalId, 'alice')).toMatchObject({ status: 'pending', applied: true });

    const round = await handle.result();
    expect(writes()).toHaveLength(0);
    const record = round.approvals[0]!;
    expect(record).toMatchObject({ status: 'expired', closedAt: record.expiresAt });
    expect(record.decision).toBeUndefined();
    expect(record.decisions!.map((decision) => decision.approver.id)).toEqual(['alice']);
    expect(record.quorum!.needed).toEqual([{ group: 'oncall', count: 1 }]);
    const events = (await handle.query(eventsQuery, 0)).events.filter((event) => event.type.startsWith('approval_'));
    expect(events.map((event) => event.type)).toEqual(['approval_required', 'approval_counted', 'approval_decided']);
    expect(events[2]).toMatchObject({ status: 'expired' });
    const second = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('q-late'),
    )[1];
    expect(messageText(lastToolMessages(second!)[0])).toMatch(/approval expired after 3s without a decision/);
  });
});

describe('quorum approvals across a SIGKILLed worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-quorum-'));
  let mcp: HttpMcpServer;
  let llm: ScriptedLlmServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    llm = await startScriptedLlmServer(
      scriptedSteps(
        { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'q-kill' } }] },
        { content: 'deleted after the kill' },
      ),
    );
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  it('keeps the decisions counted before the kill and closes with those after it, running the tool once', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-quorum-${randomUUID()}`;
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'], groups, timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, quorum }],
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    let worker = await spawnWorker(configPath);
    try {
      const workflowId = `round-${randomUUID()}`;
      const handle = await client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId,
        args: [testSigner.roundInput(workflowId, { query: 'q-kill', requester: 'carol' })],
      });
      const [approval] = await waitForPendingApprovals(handle);
      const send = (id: string) =>
        handle.signal(
          decideSignal,
          signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: { id, channel: 'cli' } }),
        );
      await send('alice');
      await send('dave');
      await expect
        .poll(async () => (await handle.query(stateQuery)).approvals[0]?.decisions?.length, { timeout: 20_000 })
        .toBe(2);
      await worker.stop('SIGKILL');
      // Decided while no worker runs: durable in history, counted when a worker returns.
      await send('alice');
      await send('bob');
      worker = await spawnWorker(configPath);
      const round = await handle.result();
      expect(round.answer).toBe('deleted after the kill');
      expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);
      expect(round.approvals[0]!.decisions!.map((decision) => decision.approver.id)).toEqual(['alice', 'dave', 'bob']);
      expect(round.approvals[0]!.ignored).toHaveLength(1);
    } finally {
      await worker.stop('SIGTERM');
      await connection.close();
    }
  });
});

// Reminders and escalation on durable timers, on a real dev server and worker: a reminder and an escalation fire in
// order as events and on the record, an escalated approver's decision counts (and nobody else's), escalate-and-extend
// extends once and then expires, the default still expires at once, and a worker SIGKILLed between the reminder and
// the escalation loses neither.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FailureType, decideUpdate, eventsQuery, stateQuery, type ApprovalRecord } from '../../workflows/contract.ts';
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

const groups = { dba: ['dave', 'frank'] };

function vote(handle: RoundHandle, approvalId: string, id: string) {
  return handle.executeUpdate(decideUpdate, {
    args: [signedDecision({ approvalId, decision: 'approve', approver: { id, channel: 'http' } })],
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

async function approvalEvents(handle: RoundHandle): Promise<string[]> {
  const { events } = await handle.query(eventsQuery, 0);
  return events.map((event) => event.type).filter((type) => type.startsWith('approval_'));
}

/** Milliseconds from the approval's opening to its step of this kind. */
function stepOffset(record: ApprovalRecord, kind: 'reminder' | 'escalation' | 'extension'): number {
  const step = record.reminders!.steps.find((candidate) => candidate.kind === kind)!;
  return Date.parse(step.at) - Date.parse(record.openedAt);
}

describe('reminders and escalation', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;

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
          tools: {
            delete_pod: { approvalTimeout: '4s', remind: { at: '25%' }, escalate: { at: '50%', to: 'dba' } },
            scale_deployment: {
              approvalTimeout: '3s',
              escalate: { to: ['frank'] },
              onTimeout: 'escalate-and-extend',
            },
            write_record: { approvalTimeout: '2s' },
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it('reminds at 25%, escalates to dba at 50%, and then counts a dba member and nobody else', async () => {
    harness.routes['r-two-steps'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'r-two-steps' } }] },
      { content: 'deleted after the escalation' },
    );
    const handle = await harness.start({ query: 'r-two-steps', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const id = approval!.approvalId;
    expect(approval!.approvers).toEqual(['alice']);
    expect(approval!.reminders).toMatchObject({ steps: [], next: { kind: 'reminder' } });
    // Before the escalation dave may not decide.
    expect(await refusal(vote(handle, id, 'dave'))).toBe(FailureType.NotAnApprover);

    await expect
      .poll(async () => (await handle.query(stateQuery)).approvals[0]!.reminders!.steps.map((step) => step.kind), {
        timeout: 10_000,
        interval: 100,
      })
      .toEqual(['reminder', 'escalation']);
    const escalated = (await handle.query(stateQuery)).approvals[0]!;
    expect(escalated.approvers).toEqual(['alice', 'dave', 'frank']);
    expect(escalated.reminders!.steps[1]).toMatchObject({ kind: 'escalation', group: 'dba', to: ['dave', 'frank'] });
    expect(escalated.reminders!.next).toBeUndefined();
    expect(escalated.expiresAt).toBe(approval!.expiresAt);
    expect(stepOffset(escalated, 'reminder')).toBeGreaterThanOrEqual(1000);
    expect(stepOffset(escalated, 'escalation')).toBeGreaterThanOrEqual(2000);
    expect(stepOffset(escalated, 'escalation')).toBeLessThan(4000);

    expect(await refusal(vote(handle, id, 'mallory'))).toBe(FailureType.NotAnApprover);
    expect(await vote(handle, id, 'dave')).toMatchObject({ status: 'approved', applied: true });
    const round = await handle.result();
    expect(round.answer).toBe('deleted after the escalation');
    expect(
      mcp.calls.filter((call) => call.tool === 'delete_pod' && call.arguments.name === 'r-two-steps'),
    ).toHaveLength(1);
    expect(await approvalEvents(handle)).toEqual([
      'approval_required',
      'approval_reminded',
      'approval_escalated',
      'approval_decided',
    ]);
    // The model hears the outcome only: one tool message, the call's result, no reminder.
    const requests = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('r-two-steps'),
    );
    expect(requests).toHaveLength(2);
    const told = JSON.stringify(requests[1]!.body.messages);
    expect(told).not.toMatch(/remind|escalat/i);
    expect(lastToolMessages(requests[1]!)).toHaveLength(1);
  });

  it('with escalate-and-extend, extends once by the timeout, escalates, and then expires', async () => {
    harness.routes['r-extend'] = scriptedSteps(
      { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'r-extend', replicas: 0 } }] },
      { content: 'gave up after the extension' },
    );
    const handle = await harness.start({ query: 'r-extend', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    expect(approval!.reminders).toMatchObject({ steps: [], next: { kind: 'extension', at: approval!.expiresAt } });
    const round = await handle.result();
    const record = round.approvals[0]!;
    expect(record.status).toBe('expired');
    const extendedTo = new Date(Date.parse(approval!.expiresAt) + 3000).toISOString();
    expect(record.expiresAt).toBe(extendedTo);
    expect(record.closedAt).toBe(extendedTo);
    expect(record.approvers).toEqual(['alice', 'frank']);
    expect(record.reminders!.steps.map((step) => step.kind)).toEqual(['extension', 'escalation']);
    expect(record.reminders!.steps[0]).toMatchObject({ expiresAt: extendedTo });
    expect(stepOffset(record, 'extension')).toBeGreaterThanOrEqual(3000);
    expect(await approvalEvents(handle)).toEqual([
      'approval_required',
      'approval_extended',
      'approval_escalated',
      'approval_decided',
    ]);
    expect(mcp.calls.filter((call) => call.tool === 'scale_deployment')).toHaveLength(0);
  });

  it('without a plan, expires at its timeout as before, with no reminders', async () => {
    harness.routes['r-default'] = scriptedSteps(
      { toolCalls: [{ name: 'write_record', arguments: { key: 'r-default' } }] },
      { content: 'expired' },
    );
    const handle = await harness.start({ query: 'r-default', requester: 'carol' });
    const round = await handle.result();
    const record = round.approvals[0]!;
    expect(record.status).toBe('expired');
    expect(record.reminders).toBeUndefined();
    expect(Date.parse(record.expiresAt) - Date.parse(record.openedAt)).toBe(2000);
    expect(await approvalEvents(handle)).toEqual(['approval_required', 'approval_decided']);
  });
});

describe('an escalation across a SIGKILLed worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-reminders-'));
  let mcp: HttpMcpServer;
  let llm: ScriptedLlmServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    llm = await startScriptedLlmServer(
      scriptedSteps(
        { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'r-kill' } }] },
        { content: 'deleted after the kill' },
      ),
    );
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  it('escalates on time after the kill (or as soon as a worker is back) and applies the escalated decision', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-reminders-${randomUUID()}`;
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'], groups, timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          approvalTimeout: '40s',
          remind: { at: '5%' },
          escalate: { at: '50%', to: 'dba' },
        },
      ],
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    let worker = await spawnWorker(configPath);
    try {
      const workflowId = `round-${randomUUID()}`;
      const handle = await client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId,
        args: [testSigner.roundInput(workflowId, { query: 'r-kill', requester: 'carol' })],
      });
      const [approval] = await waitForPendingApprovals(handle);
      await expect
        .poll(async () => (await handle.query(stateQuery)).approvals[0]!.reminders!.steps.length, { timeout: 20_000 })
        .toBe(1);
      await worker.stop('SIGKILL');
      worker = await spawnWorker(configPath);
      const back = Date.now();
      await expect
        .poll(async () => (await handle.query(stateQuery)).approvals[0]!.reminders!.steps.length, {
          timeout: 40_000,
          interval: 200,
        })
        .toBe(2);
      const record = (await handle.query(stateQuery)).approvals[0]!;
      const due = Date.parse(approval!.openedAt) + 20_000;
      const escalatedAt = Date.parse(record.reminders!.steps[1]!.at);
      expect(escalatedAt).toBeGreaterThanOrEqual(due);
      expect(escalatedAt).toBeLessThan(Math.max(due, back) + 3000);
      expect(record.approvers).toEqual(['alice', 'dave', 'frank']);

      expect(await vote(handle, approval!.approvalId, 'frank')).toMatchObject({ status: 'approved', applied: true });
      const round = await handle.result();
      expect(round.answer).toBe('deleted after the kill');
      expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);
      expect(round.approvals[0]!.reminders!.steps.map((step) => step.kind)).toEqual(['reminder', 'escalation']);
    } finally {
      await worker.stop('SIGTERM');
      await connection.close();
    }
  });
});

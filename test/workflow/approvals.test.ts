// The approval gate on a real dev server and worker, with a real MCP server recording what it receives.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailureType,
  PendingApprovalsAttribute,
  StatusAttribute,
  decideSignal,
  decideUpdate,
  eventsQuery,
  stateQuery,
  type ApprovalSummary,
} from '../../workflows/contract.ts';
import { argsDigest } from '../../workflows/canonical-json.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

const alice = { id: 'alice', channel: 'http' } as const;
const EventType = temporal.api.enums.v1.EventType;

describe('approvals', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;
  const callsOf = (tool: string, marker: string) =>
    mcp.calls.filter((call) => call.tool === tool && JSON.stringify(call.arguments).includes(marker));
  const requestsOf = (marker: string) =>
    harness.llm.requests.filter((request) => messageText(request.body.messages[0]).includes(marker));

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice', 'bob'], timeout: '10m' },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          approval: 'annotations',
          rules: [{ argument: 'namespace', matches: 'prod-*' }],
          tools: { slow: { approvalTimeout: '2s' }, add: { approvers: ['bob'] } },
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it('runs an approved call exactly once and records the decision', async () => {
    harness.routes['a-approve'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-approve' } }] },
      { content: 'deleted' },
    );
    const handle = await harness.start({ query: 'a-approve delete it' });
    const [approval] = await waitForPendingApprovals(handle);
    expect(approval!.approvalId).toBe(`${handle.workflowId}.1.0`);
    expect(approval!.argsDigest).toBe(argsDigest({ namespace: 'dev', name: 'a-approve' }));
    expect(callsOf('delete_pod', 'a-approve')).toHaveLength(0);

    const result = await handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision({
          approvalId: approval!.approvalId,
          decision: 'approve',
          approver: alice,
          argsDigest: approval!.argsDigest,
        }),
      ],
    });
    expect(result).toMatchObject({ status: 'approved', applied: true, decision: { approver: alice } });
    const round = await handle.result();
    expect(round.answer).toBe('deleted');
    expect(callsOf('delete_pod', 'a-approve')).toHaveLength(1);
    expect(round.approvals[0]).toMatchObject({
      status: 'approved',
      decision: { decision: 'approve', approver: alice },
    });
    const events = await handle.query(eventsQuery, 0);
    expect(events.events.map((event) => event.type)).toEqual([
      'round_started',
      'llm_step',
      'tool_call',
      'approval_required',
      'approval_decided',
      'tool_result',
      'llm_step',
      'round_completed',
    ]);
  });

  it('never runs a rejected call and tells the model who rejected it and why', async () => {
    harness.routes['a-reject'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-reject' } }] },
      { content: 'understood' },
    );
    const handle = await harness.start({ query: 'a-reject' });
    const [approval] = await waitForPendingApprovals(handle);
    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: approval!.approvalId,
        decision: 'reject',
        reason: 'that pod serves production traffic',
        approver: { id: 'bob', channel: 'cli' },
      }),
    );
    const round = await handle.result();
    expect(callsOf('delete_pod', 'a-reject')).toHaveLength(0);
    expect(round.toolCalls[0]!.outcome).toBe('rejected');
    const toolMessage = messageText(lastToolMessages(requestsOf('a-reject')[1]!)[0]);
    expect(toolMessage).toContain('rejected by bob: that pod serves production traffic');
    expect(toolMessage).toContain('Do not retry this exact tool call.');
  });

  it('expires an undecided approval on its timer and tells the model it expired', async () => {
    harness.routes['a-expire'] = scriptedSteps(
      { toolCalls: [{ name: 'slow', arguments: { ms: 1 } }] },
      { content: 'gave up' },
    );
    const handle = await harness.start({ query: 'a-expire' });
    const round = await handle.result();
    expect(round.approvals[0]!.status).toBe('expired');
    expect(round.toolCalls[0]!.outcome).toBe('expired');
    expect(mcp.calls.filter((call) => call.tool === 'slow')).toHaveLength(0);
    expect(messageText(lastToolMessages(requestsOf('a-expire')[1]!)[0])).toMatch(/approval expired after 2s/);
  });

  it('runs an approved call while a sibling approval is still pending', async () => {
    harness.routes['a-siblings'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-siblings-1' } },
          { name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-siblings-2' } },
        ],
      },
      { content: 'both handled' },
    );
    const handle = await harness.start({ query: 'a-siblings' });
    const pending = await waitForPendingApprovals(handle, 2);
    const first = pending.find((approval) => approval.callIndex === 0)!;
    const second = pending.find((approval) => approval.callIndex === 1)!;
    await handle.executeUpdate(decideUpdate, {
      args: [signedDecision({ approvalId: first.approvalId, decision: 'approve', approver: alice })],
    });
    await expect.poll(() => callsOf('delete_pod', 'a-siblings-1').length, { timeout: 10_000 }).toBe(1);
    await expect
      .poll(async () => (await handle.query(stateQuery)).toolCalls.find((call) => call.callIndex === 0)?.outcome, {
        timeout: 10_000,
      })
      .toBe('succeeded');
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('waiting_approval');
    expect(state.approvals.find((approval) => approval.approvalId === second.approvalId)?.status).toBe('pending');
    await handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision({ approvalId: second.approvalId, decision: 'reject', reason: 'keep one', approver: alice }),
      ],
    });
    const round = await handle.result();
    expect(round.toolCalls.map((call) => call.outcome)).toEqual(['succeeded', 'rejected']);
    expect(callsOf('delete_pod', 'a-siblings-2')).toHaveLength(0);
  });

  it('ignores stale-digest and duplicate decisions, and the update refuses them before history', async () => {
    harness.routes['a-stale'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-stale' } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: 'a-stale' });
    const [approval] = await waitForPendingApprovals(handle);
    const id = approval!.approvalId;

    const refusal = await handle
      .executeUpdate(decideUpdate, {
        args: [signedDecision({ approvalId: id, decision: 'approve', approver: alice, argsDigest: 'f'.repeat(64) })],
      })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refusal as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(FailureType.DigestMismatch);

    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: id,
        decision: 'approve',
        approver: alice,
        argsDigest: 'f'.repeat(64),
      }),
    );
    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: id,
        decision: 'reject',
        reason: 'first valid wins',
        approver: { id: 'bob', channel: 'slack' },
      }),
    );
    await handle.signal(decideSignal, signedDecision({ approvalId: id, decision: 'approve', approver: alice }));
    const round = await handle.result();
    const record = round.approvals[0]!;
    expect(record.status).toBe('rejected');
    expect(record.decision).toMatchObject({
      decision: 'reject',
      approver: { id: 'bob', channel: 'slack' },
      reason: 'first valid wins',
    });
    expect(record.ignored.map((entry) => entry.why)).toEqual([
      expect.stringContaining('is for other arguments'),
      expect.stringContaining('already rejected by bob'),
    ]);
    expect(callsOf('delete_pod', 'a-stale')).toHaveLength(0);

    const late = await handle
      .executeUpdate(decideUpdate, { args: [signedDecision({ approvalId: id, decision: 'approve', approver: alice })] })
      .catch((error: unknown) => error);
    // A closed workflow no longer answers updates: the refusal comes from the server.
    expect(late).toBeInstanceOf(Error);
  });

  it('refuses decisions from non-approvers and from the requester', async () => {
    harness.routes['a-who'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-who' } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: 'a-who', requester: 'alice' });
    const [approval] = await waitForPendingApprovals(handle);
    const attempt = (id: string) =>
      handle
        .executeUpdate(decideUpdate, {
          args: [
            signedDecision({
              approvalId: approval!.approvalId,
              decision: 'approve',
              approver: { id, channel: 'http' },
            }),
          ],
        })
        .then(
          () => undefined,
          (error: WorkflowUpdateFailedError) => (error.cause as ApplicationFailure).type,
        );
    expect(await attempt('mallory')).toBe(FailureType.NotAnApprover);
    expect(await attempt('alice')).toBe(FailureType.NotAnApprover);
    expect(await attempt('bob')).toBeUndefined();
    await handle.result();
    expect(callsOf('delete_pod', 'a-who')).toHaveLength(1);
  });

  it('gates by argument rule and opens no approval for read-only calls of a trusted server', async () => {
    harness.routes['a-rules'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'echo', arguments: { message: 'a-rules free' } },
          { name: 'echo', arguments: { message: 'a-rules gated', namespace: 'prod-eu' } },
        ],
      },
      { content: 'ok' },
    );
    const handle = await harness.start({ query: 'a-rules' });
    const pending = await waitForPendingApprovals(handle, 1);
    expect(pending.map((approval) => approval.callIndex)).toEqual([1]);
    await expect.poll(() => callsOf('echo', 'a-rules free').length, { timeout: 10_000 }).toBe(1);
    await handle.executeUpdate(decideUpdate, {
      args: [signedDecision({ approvalId: pending[0]!.approvalId, decision: 'approve', approver: alice })],
    });
    await handle.result();
    expect(callsOf('echo', 'a-rules gated')).toHaveLength(1);
  });

  it('is listable through visibility: status and pending ids as search attributes, summaries in the memo', async () => {
    harness.routes['a-visible'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-visible' } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: 'a-visible' });
    const [approval] = await waitForPendingApprovals(handle);
    const query = `WorkflowId = "${handle.workflowId}" AND ToolgateStatus = "waiting_approval"`;
    await expect
      .poll(
        async () => {
          const found = [];
          for await (const execution of harness.client.workflow.list({ query })) found.push(execution);
          return found;
        },
        { timeout: 15_000 },
      )
      .toHaveLength(1);
    const byApproval: string[] = [];
    for await (const execution of harness.client.workflow.list({
      query: `ToolgatePendingApprovals = "${approval!.approvalId}"`,
    })) {
      byApproval.push(execution.workflowId);
      expect(execution.typedSearchAttributes.get(StatusAttribute)).toBe('waiting_approval');
      expect(execution.typedSearchAttributes.get(PendingApprovalsAttribute)).toEqual([approval!.approvalId]);
      const memo = execution.memo as { pendingApprovals: ApprovalSummary[] };
      expect(memo.pendingApprovals).toEqual([
        expect.objectContaining({ approvalId: approval!.approvalId, tool: 'delete_pod', requester: 'carol' }),
      ]);
    }
    expect(byApproval).toEqual([handle.workflowId]);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('a-visible');
    await handle.signal(
      decideSignal,
      signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
    );
    await handle.result();
  });

  it('closes pending approvals as cancelled when the round is cancelled', async () => {
    harness.routes['a-cancel'] = scriptedSteps({
      toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-cancel' } }],
    });
    const handle = await harness.start({ query: 'a-cancel' });
    await waitForPendingApprovals(handle);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const state = await handle.query(stateQuery);
    expect(state.status).toBe('cancelled');
    expect(state.approvals[0]!.status).toBe('cancelled');
    expect(callsOf('delete_pod', 'a-cancel')).toHaveLength(0);
  });

  /** True when the signal and the timer both landed while no worker ran, so one workflow task saw both. */
  async function signalAndTimerInOneTask(handle: RoundHandle): Promise<boolean> {
    const types = ((await handle.fetchHistory()).events ?? []).map((event) => event.eventType);
    const signal = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    const timer = types.indexOf(EventType.EVENT_TYPE_TIMER_FIRED);
    const between = types.slice(Math.min(signal, timer), Math.max(signal, timer));
    return signal >= 0 && timer >= 0 && !between.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  }

  it('applies a decision made before expiry that reaches the round in the same task as the timer', async () => {
    harness.routes['a-race-early'] = scriptedSteps(
      { toolCalls: [{ name: 'slow', arguments: { ms: 11 } }] },
      { content: 'ran' },
    );
    const handle = await harness.start({ query: 'a-race-early' });
    const [approval] = await waitForPendingApprovals(handle);
    await harness.stopWorker();
    try {
      // Queued while no worker runs, as the API does when no worker answers; the timer fires before one returns.
      await handle.signal(
        decideSignal,
        signedDecision({
          approvalId: approval!.approvalId,
          decision: 'approve',
          approver: alice,
          receivedAt: new Date().toISOString(),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, Date.parse(approval!.expiresAt) - Date.now() + 1000));
    } finally {
      await harness.startWorker();
    }
    const round = await handle.result();
    expect(await signalAndTimerInOneTask(handle)).toBe(true);
    expect(round.approvals[0]).toMatchObject({
      status: 'approved',
      decision: { decision: 'approve', approver: alice },
      ignored: [],
    });
    expect(Date.parse(round.approvals[0]!.decision!.decidedAt)).toBeLessThan(Date.parse(approval!.expiresAt));
    expect(round.toolCalls[0]).toMatchObject({ outcome: 'succeeded', attempts: 1 });
    expect(mcp.calls.filter((call) => call.tool === 'slow' && call.arguments.ms === 11)).toHaveLength(1);
  });

  it('refuses a decision made after expiry even when the round has not yet seen its timer fire', async () => {
    harness.routes['a-race-late'] = scriptedSteps(
      { toolCalls: [{ name: 'slow', arguments: { ms: 12 } }] },
      { content: 'gave up' },
    );
    const handle = await harness.start({ query: 'a-race-late' });
    const [approval] = await waitForPendingApprovals(handle);
    await harness.stopWorker();
    try {
      await new Promise((resolve) => setTimeout(resolve, Date.parse(approval!.expiresAt) - Date.now() + 1000));
      await handle.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
    } finally {
      await harness.startWorker();
    }
    const round = await handle.result();
    expect(await signalAndTimerInOneTask(handle)).toBe(true);
    const record = round.approvals[0]!;
    expect(record).toMatchObject({ status: 'expired', closedAt: approval!.expiresAt });
    expect(record.decision).toBeUndefined();
    expect(record.ignored.map((entry) => entry.why)).toEqual([expect.stringContaining('expired at')]);
    expect(round.toolCalls[0]!.outcome).toBe('expired');
    expect(mcp.calls.filter((call) => call.tool === 'slow' && call.arguments.ms === 12)).toHaveLength(0);
  });

  it('refuses a malformed decision as invalid, not as an unknown approval', async () => {
    harness.routes['a-malformed'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'a-malformed' } }] },
      { content: 'ok' },
    );
    const handle = await harness.start({ query: 'a-malformed' });
    const [approval] = await waitForPendingApprovals(handle);
    const refusal = await handle
      .executeUpdate(decideUpdate, {
        args: [
          { approvalId: approval!.approvalId, decision: 'approve', approver: { id: 'alice', channel: 'fax' } as never },
        ],
      })
      .catch((error: unknown) => error);
    expect(((refusal as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(FailureType.InvalidDecision);
    await handle.cancel();
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

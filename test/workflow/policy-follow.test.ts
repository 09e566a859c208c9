// Pending approvals follow policy on a real dev server: a worker that starts with a changed configuration nudges
// the waiting rounds of its task queue, and each round re-checks its approvals through an activity of that worker:
// released (only when enabled), kept with a note, re-addressed, rejected, or left alone when the nudge is forged.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailureType,
  decideUpdate,
  eventsQuery,
  policyChangedSignal,
  stateQuery,
  type ApprovalRecord,
} from '../../workflows/contract.ts';
import type { ToolgateConfig } from '../../runtime/config.ts';
import { configFingerprint } from '../../runtime/config-fingerprint.ts';
import { changedConfig, restartWithConfig } from '../support/config-change.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

describe('pending approvals follow policy', () => {
  let harness: Harness;
  let k8s: HttpMcpServer;
  let old: HttpMcpServer;
  const servers = (options: { deleteApproval: string; scaleApprovers: string[]; withOld: boolean }) => [
    {
      name: 'k8s',
      transport: 'http',
      url: k8s.url,
      trusted: true,
      approval: 'always',
      tools: {
        delete_pod: { approval: options.deleteApproval },
        scale_deployment: { approvers: options.scaleApprovers },
      },
    },
    ...(options.withOld ? [{ name: 'old', transport: 'http', url: old.url, trusted: true, approval: 'always' }] : []),
  ];

  const changed = (serverList: unknown[], releaseWhenLoosened: boolean) =>
    changedConfig(harness, serverList, { releaseWhenLoosened });
  const restartWith = (config: ToolgateConfig) => restartWithConfig(harness, config);

  async function approvalOf(handle: RoundHandle, until: (record: ApprovalRecord) => boolean) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const record = (await handle.query(stateQuery)).approvals[0]!;
      if (until(record)) return record;
      if (Date.now() > deadline) throw new Error(`approval never reached the state: ${JSON.stringify(record)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }

  const startRound = async (marker: string, tool: string, args: Record<string, unknown>) => {
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: tool, arguments: args }] },
      { content: `done ${marker}` },
    );
    const handle = await harness.start({ query: marker, requester: 'carol' });
    await waitForPendingApprovals(handle);
    return handle;
  };

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
    old = await startHttpMcpServer({ name: 'old' });
    harness = await startHarness({
      approvals: { approvers: ['alice'], timeout: '10m' },
      servers: servers({ deleteApproval: 'always', scaleApprovers: ['alice'], withOld: true }),
    });
  });

  afterAll(async () => {
    await harness?.close();
    await k8s?.close();
    await old?.close();
  });

  it('releases, keeps, re-addresses and rejects pending approvals as the new configuration says', async () => {
    const startedOn = configFingerprint(harness.config);
    const loosened = await startRound('pf-loose', 'k8s__delete_pod', { namespace: 'dev', name: 'pf-loose' });
    const readdressed = await startRound('pf-readdress', 'k8s__scale_deployment', {
      namespace: 'dev',
      name: 'pf-readdress',
      replicas: 3,
    });
    const removed = await startRound('pf-removed', 'old__delete_pod', { namespace: 'dev', name: 'pf-removed' });
    expect((await waitForPendingApprovals(loosened))[0]!.policy).toEqual({ startedOn });

    // A forged nudge, with a payload claiming to approve: the round asks its worker, which runs config A: nothing.
    await readdressed.signal(policyChangedSignal, { approve: true, approvers: ['mallory'] });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const untouched = (await readdressed.query(stateQuery)).approvals[0]!;
    expect(untouched).toMatchObject({ status: 'pending', approvers: ['alice'], policy: { startedOn } });
    expect(untouched.policy?.recheckedOn).toBeUndefined();

    // Config B: delete_pod needs no approval (release off), scale_deployment is bob's, server `old` is gone.
    const b = changed(servers({ deleteApproval: 'never', scaleApprovers: ['bob'], withOld: false }), false);
    const scan = await restartWith(b);
    expect(scan).toMatchObject({ seen: 3, signalled: 3, failed: 0 });
    const recheckedOn = configFingerprint(b);
    expect(recheckedOn).not.toBe(startedOn);

    const kept = await approvalOf(loosened, (record) => record.policy?.recheckedOn === recheckedOn);
    expect(kept).toMatchObject({ status: 'pending', policy: { startedOn, recheckedOn, outcome: 'loosened' } });
    expect(kept.policy!.note).toMatch(/no longer requires approval; it keeps waiting/);

    const moved = await approvalOf(readdressed, (record) => record.policy?.recheckedOn === recheckedOn);
    expect(moved).toMatchObject({ status: 'pending', approvers: ['bob'], policy: { outcome: 'readdressed' } });
    const id = moved.approvalId;
    const decide = (approver: string) =>
      readdressed.executeUpdate(decideUpdate, {
        args: [signedDecision({ approvalId: id, decision: 'approve', approver: { id: approver, channel: 'http' } })],
      });
    expect(await refusal(decide('alice'))).toBe(FailureType.NotAnApprover);
    expect(await decide('bob')).toMatchObject({ status: 'approved', applied: true });
    expect((await readdressed.result()).answer).toBe('done pf-readdress');
    expect(k8s.calls.filter((call) => call.arguments.name === 'pf-readdress')).toHaveLength(1);
    const types = (await readdressed.query(eventsQuery, 0)).events.map((event) => event.type);
    expect(types.filter((type) => type.startsWith('approval_'))).toEqual([
      'approval_required',
      'approval_rechecked',
      'approval_readdressed',
      'approval_decided',
    ]);

    const gone = await removed.result();
    expect(gone.approvals[0]).toMatchObject({
      status: 'rejected',
      decision: { decision: 'reject', approver: { id: 'policy', channel: 'policy' } },
      policy: { startedOn, recheckedOn, outcome: 'rejected' },
    });
    expect(gone.approvals[0]!.decision!.reason).toBe(
      `tool no longer offered by configuration ${recheckedOn} (server 'old' is not configured)`,
    );
    expect(old.calls).toHaveLength(0);
    const told = harness.llm.requests.filter((request) =>
      messageText(request.body.messages[0]).includes('pf-removed'),
    )[1];
    expect(messageText(lastToolMessages(told!)[0])).toMatch(
      /rejected by policy: tool no longer offered by configuration/,
    );

    // Config C: the same, and the operator now lets loosened approvals go.
    const c = changed(servers({ deleteApproval: 'never', scaleApprovers: ['bob'], withOld: false }), true);
    const second = await restartWith(c);
    expect(second).toMatchObject({ signalled: 1, failed: 0 });
    const released = await loosened.result();
    expect(released.approvals[0]).toMatchObject({
      status: 'approved',
      decision: { approver: { id: 'policy', channel: 'policy' }, reason: 'policy no longer requires approval' },
      policy: { startedOn, recheckedOn: configFingerprint(c), outcome: 'released' },
    });
    expect(k8s.calls.filter((call) => call.arguments.name === 'pf-loose')).toHaveLength(1);

    // Every history replays on the code that wrote it.
    expect(await harness.replayRounds()).toBeGreaterThanOrEqual(3);
  });

  it('a nudge under the configuration the round started on changes nothing, however often it comes', async () => {
    const handle = await startRound('pf-forged', 'k8s__scale_deployment', {
      namespace: 'dev',
      name: 'pf-forged',
      replicas: 1,
    });
    const before = (await handle.query(stateQuery)).approvals[0]!;
    await Promise.all([1, 2, 3].map((n) => handle.signal(policyChangedSignal, { approve: true, n })));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = (await handle.query(stateQuery)).approvals[0]!;
    expect(after).toEqual(before);
    const types = (await handle.query(eventsQuery, 0)).events.map((event) => event.type);
    expect(types).not.toContain('approval_rechecked');
    await handle.cancel();
  });
});

// Decisions at the API's edges: a decision queued while no worker runs counts from when the API took it, even
// when the approval timer fires before a worker returns; refused decisions leave no trace in the round's
// history; a closed approval and another requester's approvals stay invisible to those who may not read them.
import { temporal } from '@temporalio/proto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureType, decideUpdate, type QueryRoundResult } from '../../workflows/contract.ts';
import { firstApprovalId, type ApiHarness } from '../support/api-harness.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

const EventType = temporal.api.enums.v1.EventType;
const APPROVAL_TIMEOUT_MS = 8000;

describe('decisions at the API edges', () => {
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    stack = await startK8sApi({
      approvers: ['alice', 'bob'],
      tools: { scale_deployment: { approvalTimeout: `${APPROVAL_TIMEOUT_MS}ms` } },
      api: { workerWaitMs: 1500, roles: { auditor: ['audrey'] } },
    });
    ({ mcp, harness, api } = stack);
  });

  afterAll(() => stack?.close());

  /** A round of carol's waiting for approval of one `tool` call named `marker`; its approval id. */
  async function gatedRound(marker: string, tool = 'delete_pod'): Promise<{ roundId: string; approvalId: string }> {
    const args = tool === 'scale_deployment' ? { replicas: 2 } : {};
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: tool, arguments: { namespace: 'dev', name: marker, ...args } }] },
      { content: `done ${marker}` },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    return { roundId, approvalId: await firstApprovalId(api.request, roundId) };
  }

  async function historyTypes(roundId: string) {
    return ((await harness.client.workflow.getHandle(roundId).fetchHistory()).events ?? []).map(
      (event) => event.eventType,
    );
  }

  const count = (types: unknown[], type: unknown) => types.filter((each) => each === type).length;

  it('applies a decision the API queued while no worker ran, though the approval timer fired before one returned', async () => {
    const { roundId, approvalId } = await gatedRound('e-queued', 'scale_deployment');
    const pending = (await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body;
    const expiresAt = Date.parse(pending.expiresAt);
    await harness.stopWorker();
    let decidedBetween: [number, number];
    try {
      const before = Date.now();
      const queued = await api.request('alice', 'POST', `/v1/approvals/${approvalId}`, {
        decision: 'approve',
        argsDigest: pending.argsDigest,
      });
      decidedBetween = [before, Date.now()];
      expect(queued).toMatchObject({ status: 202, body: { queued: true, applied: false } });
      expect(decidedBetween[1], 'the decision must reach the API before the approval expires').toBeLessThan(expiresAt);
      await expect
        .poll(async () => count(await historyTypes(roundId), EventType.EVENT_TYPE_TIMER_FIRED), {
          timeout: APPROVAL_TIMEOUT_MS + 10_000,
        })
        .toBe(1);
    } finally {
      await harness.startWorker();
    }
    const round: QueryRoundResult = await harness.client.workflow.getHandle(roundId).result();
    expect(round.approvals[0]).toMatchObject({
      approvalId,
      status: 'approved',
      decision: { decision: 'approve', approver: { id: 'alice', channel: 'http' } },
    });
    // decidedAt is the API's own stamp, taken when it accepted the decision, not when the round read it.
    const decidedAt = Date.parse(round.approvals[0]!.decision!.decidedAt);
    expect(decidedAt).toBeGreaterThanOrEqual(decidedBetween[0]);
    expect(decidedAt).toBeLessThanOrEqual(decidedBetween[1]);
    expect(round.toolCalls[0]).toMatchObject({ outcome: 'succeeded' });
    expect(
      mcp.calls.filter((call) => call.tool === 'scale_deployment' && call.arguments.name === 'e-queued'),
    ).toHaveLength(1);
  });

  it('lets no refused decision into the round history, through a Temporal client or the API', async () => {
    const { roundId, approvalId } = await gatedRound('e-refused');
    const handle = harness.client.workflow.getHandle(roundId);
    const refusalOf = async (approver: string, argsDigest?: string) => {
      const error = await handle
        .executeUpdate(decideUpdate, {
          args: [
            signedDecision({
              approvalId,
              decision: 'approve',
              approver: { id: approver, channel: 'http' },
              ...(argsDigest ? { argsDigest } : {}),
            }),
          ],
        })
        .then(
          () => undefined,
          (failure: unknown) => failure,
        );
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type;
    };
    expect(await refusalOf('alice', '0'.repeat(64))).toBe(FailureType.DigestMismatch);
    expect(await refusalOf('mallory')).toBe(FailureType.NotAnApprover);
    expect(await refusalOf('carol')).toBe(FailureType.NotAnApprover);

    const path = `/v1/approvals/${approvalId}`;
    const { argsDigest } = (await api.request('alice', 'GET', path)).body as { argsDigest: string };
    expect(await api.request('alice', 'POST', path, { decision: 'approve', argsDigest: 'f'.repeat(64) })).toMatchObject(
      { status: 422, body: { error: { code: 'digest_mismatch' } } },
    );
    expect((await api.request('mallory', 'POST', path, { decision: 'approve', argsDigest })).status).toBe(403);
    expect((await api.request('carol', 'POST', path, { decision: 'approve', argsDigest })).status).toBe(403);

    const refused = await historyTypes(roundId);
    expect(count(refused, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toBe(0);
    expect(count(refused, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toBe(0);
    // The same count sees a decision that was let in.
    expect(await api.request('bob', 'POST', path, { decision: 'approve', argsDigest })).toMatchObject({
      status: 202,
      body: { applied: true, queued: false },
    });
    expect(count(await historyTypes(roundId), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toBe(1);
  });

  it('queues a decision while no worker runs, however many refused ones came before it', async () => {
    const { roundId, approvalId } = await gatedRound('e-crowd');
    const path = `/v1/approvals/${approvalId}`;
    const { argsDigest } = (await api.request('alice', 'GET', path)).body as { argsDigest: string };
    await harness.stopWorker();
    try {
      // Each is refused from the memo while its update still waits on the server for a worker: more of them than
      // history.maxInFlightUpdates (10) must crowd out no decision, and none may be taken when the worker returns.
      for (let refused = 0; refused < 12; refused++) {
        expect(await api.request('mallory', 'POST', path, { decision: 'approve', argsDigest })).toMatchObject({
          status: 403,
          body: { error: { code: 'not_an_approver' } },
        });
      }
      expect(await api.request('alice', 'POST', path, { decision: 'approve', argsDigest })).toMatchObject({
        status: 202,
        body: { queued: true, applied: false },
      });
    } finally {
      await harness.startWorker();
    }
    const round: QueryRoundResult = await harness.client.workflow.getHandle(roundId).result();
    expect(round.approvals[0]).toMatchObject({ status: 'approved', decision: { approver: { id: 'alice' } } });
    expect(count(await historyTypes(roundId), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).toBe(0);
  });

  it('answers a non-approver deciding a closed approval 404, exactly as for one that never existed', async () => {
    const { roundId, approvalId } = await gatedRound('e-closed');
    const { argsDigest } = (await api.request('alice', 'GET', `/v1/approvals/${approvalId}`)).body as {
      argsDigest: string;
    };
    expect(
      (await api.request('alice', 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest })).status,
    ).toBe(202);
    await harness.client.workflow.getHandle(roundId).result();
    const reject = { decision: 'reject', argsDigest };
    const closed = await api.request('mallory', 'POST', `/v1/approvals/${approvalId}`, reject);
    const never = await api.request('mallory', 'POST', '/v1/approvals/round-never-was.1.0', reject);
    expect(closed).toMatchObject({ status: 404, body: { error: { code: 'approval_not_found' } } });
    expect(closed.body.error.message.replace(approvalId, 'X')).toBe(
      never.body.error.message.replace('round-never-was.1.0', 'X'),
    );
    expect(JSON.stringify(closed.body)).not.toContain('alice');
    // Who may read the round learns what became of it.
    expect(await api.request('bob', 'POST', `/v1/approvals/${approvalId}`, reject)).toMatchObject({
      status: 409,
      body: { error: { code: 'approval_closed', status: 'approved', decidedBy: 'alice' } },
    });
  });

  it("lists nothing of another requester's approvals to an ordinary caller, whatever the filter", async () => {
    const { roundId, approvalId } = await gatedRound('e-list');
    const listed = async (person: 'mallory' | 'alice' | 'audrey', query: string) => {
      const page = await api.request(person, 'GET', `/v1/approvals${query}`);
      expect(page.status).toBe(200);
      return page;
    };
    // Visibility is eventually consistent: wait until those who may see the approval do.
    await expect
      .poll(async () => JSON.stringify((await listed('audrey', '?requester=carol')).body), { timeout: 15_000 })
      .toContain(approvalId);
    expect(JSON.stringify((await listed('alice', '?requester=carol')).body)).toContain(approvalId);
    for (const query of ['?requester=carol', '?requester=carol&mine=requested', '?requester=carol&mine=decide', '']) {
      // Other files' rounds share the namespace (some may name mallory as approver): only this round is checked.
      const page = await listed('mallory', query);
      expect(Array.isArray(page.body.approvals), query).toBe(true);
      expect(JSON.stringify(page.body), query).not.toContain(roundId);
    }
    expect((await api.request('carol', 'DELETE', `/v1/rounds/${roundId}`)).status).toBe(202);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

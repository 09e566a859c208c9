// Remembered grants on a real dev server and worker: "approve and remember" creates a grant in the requester's
// grants workflow, a later round's matching call runs under it without an approval, a call it does not cover
// still asks, and revocation, expiry, a changed tool and `grants: false` end or refuse it.
import { argsDigest } from '../../workflows/shared/digest.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  FailureType,
  addGrantUpdate,
  decideSignal,
  decideUpdate,
  stateQuery,
  eventsQuery,
  grantsWorkflowId,
  listGrantsQuery,
  revokeGrantUpdate,
  type Grant,
  type RememberRequest,
} from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import type { requesterGrants } from '../../workflows/grants/requester-grants.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps, startScriptedLlmServer, type ScriptedLlmServer } from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';

const HOUR = 3_600_000;

describe('remembered grants', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;
  const server = () => ({
    name: 'k8s',
    transport: 'http',
    url: mcp.url,
    trusted: true,
    tools: { scale_deployment: { grants: false } },
  });
  const deletes = (name: string) =>
    mcp.calls.filter((call) => call.tool === 'delete_pod' && call.arguments.name === name);

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ approvals: { approvers: ['alice', 'bob'] }, servers: [server()] });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  /** A requester of the test's own: grants workflows are per requester and the dev server is shared. */
  const someone = () => `req-${randomUUID().slice(0, 8)}`;

  function startDelete(h: Harness, requester: string, namespace: string, name: string): Promise<RoundHandle> {
    const marker = `g-${randomUUID()}`;
    h.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace, name } }] },
      { content: `done ${name}` },
    );
    return h.start({ query: marker, requester });
  }

  /** What a decision remembers: as the API signs it, naming the approval's requester, server and tool. */
  type Remember = Pick<RememberRequest, 'ttlMs' | 'pattern'>;

  async function approve(handle: RoundHandle, approvalId: string, remember?: Remember) {
    const approval = (await handle.query(stateQuery)).approvals.find((record) => record.approvalId === approvalId)!;
    const { requester, server, tool } = approval;
    return handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision({
          approvalId,
          decision: 'approve',
          approver: { id: 'alice', channel: 'http' },
          argsDigest: approval.argsDigest,
          receivedAt: new Date().toISOString(),
          ...(remember ? { remember: { ...remember, requester, server, tool } } : {}),
        }),
      ],
    });
  }

  /** A round whose delete is approved by alice, remembering it; returns the grant it created. */
  async function remembered(requester: string, name: string, remember: Remember): Promise<Grant> {
    const handle = await startDelete(harness, requester, 'dev', name);
    const [approval] = await waitForPendingApprovals(handle);
    expect(approval!.rememberable).toBe(true);
    await approve(handle, approval!.approvalId, remember);
    const round = await handle.result();
    expect(round.approvals[0]!.decision).toMatchObject({ approver: { id: 'alice' }, remember });
    const events = (await handle.query(eventsQuery, 0)).events;
    const created = events.find((event) => event.type === 'grant_created');
    expect(created).toMatchObject({ approvalId: approval!.approvalId });
    return (created as Extract<typeof created, { type: 'grant_created' }>).grant;
  }

  const grantsOf = (requester: string) =>
    harness.client.workflow.getHandle(grantsWorkflowId(requester)).query(listGrantsQuery);

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }

  it('remembers a pattern: a later matching call runs without an approval, one it does not cover still asks', async () => {
    const requester = someone();
    const grant = await remembered(requester, 'first', { ttlMs: HOUR, pattern: { namespace: 'dev' } });
    expect(grant).toMatchObject({
      requester,
      server: 'k8s',
      tool: 'delete_pod',
      pattern: { namespace: 'dev' },
      createdBy: { id: 'alice', channel: 'http' },
    });
    expect(grant.argsDigest).toBeUndefined();
    // From when the decision was made, as its signed proof says.
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.proof.receivedAt!)).toBe(HOUR);
    expect(await grantsOf(requester)).toEqual([grant]);

    const covered = await startDelete(harness, requester, 'dev', 'second');
    const round = await covered.result();
    expect(deletes('second')).toHaveLength(1);
    const approval = round.approvals[0]!;
    expect(approval).toMatchObject({
      status: 'approved',
      decision: {
        approver: { id: `grant:${grant.grantId}`, channel: 'grant' },
        grant: { grantId: grant.grantId, grantedBy: { id: 'alice' }, fromApproval: grant.fromApproval },
      },
    });
    expect(approval.decision!.reason).toBe(
      `approved by grant ${grant.grantId} (from alice's decision of ${grant.fromApproval})`,
    );
    const types = (await covered.query(eventsQuery, 0)).events.map((event) => event.type);
    expect(types.filter((type) => type.startsWith('approval_'))).toEqual(['approval_required', 'approval_decided']);

    // Another namespace is not covered; nor is another requester's call of the same arguments.
    const uncovered = await startDelete(harness, requester, 'prod', 'third');
    const [asked] = await waitForPendingApprovals(uncovered);
    await approve(uncovered, asked!.approvalId);
    await uncovered.result();
    const stranger = await startDelete(harness, someone(), 'dev', 'fourth');
    const [strangerAsked] = await waitForPendingApprovals(stranger);
    await approve(stranger, strangerAsked!.approvalId);
    await stranger.result();
    expect(await harness.replayRounds()).toBeGreaterThan(0);
  });

  it('without a pattern covers exactly the arguments approved', async () => {
    const requester = someone();
    const grant = await remembered(requester, 'exact', { ttlMs: HOUR });
    expect(grant.pattern).toBeUndefined();
    expect(grant.argsDigest).toMatch(/^[0-9a-f]{64}$/);
    const same = await startDelete(harness, requester, 'dev', 'exact');
    expect((await same.result()).approvals[0]!.decision!.grant?.grantId).toBe(grant.grantId);
    const other = await startDelete(harness, requester, 'dev', 'exact-other');
    const [asked] = await waitForPendingApprovals(other);
    await approve(other, asked!.approvalId);
    await other.result();
  });

  it('ends on revocation and on expiry (a durable timer)', async () => {
    const requester = someone();
    const revoked = await remembered(requester, 'rev', { ttlMs: HOUR, pattern: { name: 'rev*' } });
    const grants = harness.client.workflow.getHandle(grantsWorkflowId(requester));
    await grants.executeUpdate(revokeGrantUpdate, { args: [{ grantId: revoked.grantId, by: requester }] });
    expect(await grantsOf(requester)).toEqual([]);
    expect(
      await refusal(grants.executeUpdate(revokeGrantUpdate, { args: [{ grantId: revoked.grantId, by: requester }] })),
    ).toBe(FailureType.GrantNotFound);
    const afterRevoke = await startDelete(harness, requester, 'dev', 'rev-2');
    const [asked] = await waitForPendingApprovals(afterRevoke);
    await approve(afterRevoke, asked!.approvalId, { ttlMs: 1500, pattern: { name: 'rev*' } });
    await afterRevoke.result();
    expect(await grantsOf(requester)).toHaveLength(1);
    await expect.poll(() => grantsOf(requester), { timeout: 10_000, interval: 250 }).toEqual([]);
    const afterExpiry = await startDelete(harness, requester, 'dev', 'rev-3');
    const [askedAgain] = await waitForPendingApprovals(afterExpiry);
    await approve(afterExpiry, askedAgain!.approvalId);
    await afterExpiry.result();
  });

  it('refuses to remember where the tool says grants: false, and a pattern that does not cover the call', async () => {
    const marker = `g-${randomUUID()}`;
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'nope', replicas: 0 } }] },
      { content: 'scaled' },
    );
    const handle = await harness.start({ query: marker, requester: someone() });
    const [approval] = await waitForPendingApprovals(handle);
    expect(approval!.rememberable).toBeUndefined();
    expect(await refusal(approve(handle, approval!.approvalId, { ttlMs: HOUR }))).toBe(FailureType.GrantNotAllowed);
    await approve(handle, approval!.approvalId);
    await handle.result();

    const other = await startDelete(harness, someone(), 'dev', 'mismatch');
    const [pending] = await waitForPendingApprovals(other);
    expect(await refusal(approve(other, pending!.approvalId, { ttlMs: HOUR, pattern: { namespace: 'prod-*' } }))).toBe(
      FailureType.InvalidDecision,
    );
    // An approval with changes cannot be remembered: the grant would cover the model's arguments, not the edit.
    const edited = { namespace: 'dev', name: 'edited' };
    const { requester, server, tool } = pending!;
    const editedAndRemembered = other.executeUpdate(decideUpdate, {
      args: [
        signedDecision({
          approvalId: pending!.approvalId,
          decision: 'approve',
          approver: { id: 'alice', channel: 'http' },
          arguments: edited,
          editedArgsDigest: argsDigest(edited),
          remember: { ttlMs: HOUR, requester, server, tool },
        }),
      ],
    });
    expect(await refusal(editedAndRemembered)).toBe(FailureType.GrantNotAllowed);
    await approve(other, pending!.approvalId);
    await other.result();
  });

  it('lapses when the tool changes: a worker with another policy for it finds no grant', async () => {
    const requester = someone();
    await remembered(requester, 'fp', { ttlMs: HOUR, pattern: { namespace: 'dev' } });
    const changed = await startHarness({
      approvals: { approvers: ['alice', 'bob'] },
      servers: [{ ...server(), timeout: '45s' }],
    });
    try {
      const handle = await startDelete(changed, requester, 'dev', 'fp-2');
      const [asked] = await waitForPendingApprovals(handle);
      expect(asked!.rememberable).toBe(true);
      await approve(handle, asked!.approvalId);
      await handle.result();
    } finally {
      await changed.close();
    }
    // The grant itself still stands for the tool as it was.
    expect(await grantsOf(requester)).toHaveLength(1);
  });

  it('ignores a grant whose signed decision does not ask for it: an update from outside approves nothing', async () => {
    const owner = someone();
    const real = await remembered(owner, 'forged', { ttlMs: HOUR, pattern: { namespace: 'dev' } });
    const victim = someone();
    const forge = (grant: Grant) =>
      harness.client.workflow.executeUpdateWithStart(addGrantUpdate, {
        args: [{ grant, limit: 50 }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof requesterGrants>('requesterGrants', {
          workflowId: grantsWorkflowId(victim),
          taskQueue: harness.config.temporal.taskQueue,
          args: [{ requester: victim }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    // A real signed decision, but for another requester; and one altered to name the victim (signature broken).
    await forge({ ...real, grantId: 'grant-forged-1', requester: victim });
    const altered = { ...real.proof, remember: { ...real.proof.remember!, requester: victim } };
    await forge({ ...real, grantId: 'grant-forged-2', requester: victim, proof: altered });
    expect(await grantsOf(victim)).toHaveLength(2);
    const handle = await startDelete(harness, victim, 'dev', 'forged-2');
    const [asked] = await waitForPendingApprovals(handle);
    await approve(handle, asked!.approvalId);
    expect((await handle.result()).approvals[0]!.decision!.approver.id).toBe('alice');
  });

  it('bounds the grants a requester holds and carries them across continue-as-new', async () => {
    const requester = someone();
    const grants = await harness.client.workflow.start<typeof requesterGrants>('requesterGrants', {
      taskQueue: harness.config.temporal.taskQueue,
      workflowId: grantsWorkflowId(requester),
      args: [{ requester, continueAfterEvents: 50 }],
    });
    const firstRun = grants.firstExecutionRunId;
    const now = Date.now();
    const grantOf = (index: number): Grant => ({
      grantId: `grant-test-${index}`,
      requester,
      server: 'k8s',
      tool: 'delete_pod',
      argsDigest: String(index).padStart(64, '0'),
      createdBy: { id: 'alice', channel: 'http' },
      fromApproval: `round-x.1.${index}`,
      roundId: 'round-x',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + HOUR).toISOString(),
      toolFingerprint: 'f'.repeat(64),
      proof: { approvalId: `round-x.1.${index}`, decision: 'approve', approver: { id: 'alice', channel: 'http' } },
    });
    const add = (index: number, limit = 30) =>
      harness.client.workflow
        .getHandle(grantsWorkflowId(requester))
        .executeUpdate(addGrantUpdate, { args: [{ grant: grantOf(index), limit }] });
    for (let index = 0; index < 20; index++) await add(index);
    // The same grant again (an activity's retry) is the one held, not another.
    expect(await add(0)).toEqual(grantOf(0));
    expect(await refusal(add(20, 20))).toBe(FailureType.GrantLimitReached);
    const described = await harness.client.workflow.getHandle(grantsWorkflowId(requester)).describe();
    expect(described.runId).not.toBe(firstRun);
    expect(await grantsOf(requester)).toHaveLength(20);
  });
});

describe('remembered grants across a SIGKILLed worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-grants-'));
  let mcp: HttpMcpServer;
  let llm: ScriptedLlmServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    llm = await startScriptedLlmServer((request) =>
      request.body.messages.at(-1)?.role === 'tool'
        ? { content: 'deleted' }
        : { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'g-kill' } }] },
    );
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  it('a remembering decision sent while no worker runs makes the grant once a worker returns; the next call runs under it', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-grants-${randomUUID()}`;
    const requester = `req-${randomUUID().slice(0, 8)}`;
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'], timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }],
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    const start = async () => {
      const workflowId = `round-${randomUUID()}`;
      return client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId,
        args: [testSigner.roundInput(workflowId, { query: 'g-kill', requester })],
      });
    };
    let worker = await spawnWorker(configPath);
    try {
      const first = await start();
      const [approval] = await waitForPendingApprovals(first);
      await worker.stop('SIGKILL');
      await first.signal(
        decideSignal,
        signedDecision({
          approvalId: approval!.approvalId,
          decision: 'approve',
          approver: { id: 'alice', channel: 'cli' },
          argsDigest: approval!.argsDigest,
          receivedAt: new Date().toISOString(),
          remember: { ttlMs: HOUR, requester, server: 'k8s', tool: 'delete_pod' },
        }),
      );
      worker = await spawnWorker(configPath);
      await first.result();
      const listed = await client.workflow.getHandle(grantsWorkflowId(requester)).query(listGrantsQuery);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        fromApproval: approval!.approvalId,
        createdBy: { id: 'alice', channel: 'cli' },
      });
      const second = await (await start()).result();
      expect(second.approvals[0]!.decision!.grant?.grantId).toBe(listed[0]!.grantId);
      expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(2);
    } finally {
      await worker.stop('SIGTERM');
      await connection.close();
    }
  });
});

// Rounds trust only what the API signed: decisions (who, through which channel, when) and their own input (who
// asks). What anyone with write access to the namespace sends by hand, with the real Temporal CLI or a client,
// changes nothing unless it is signed with a key the round loaded.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Signer } from '../../runtime/signing.ts';
import { decideSignal, decideUpdate, stateQuery, type DecisionRequest } from '../../workflows/contract.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PRIVATE_KEY, signedDecision, testSigner } from '../../testkit/signing.ts';

const run = promisify(execFile);
const TEMPORAL = '.tools/bin/temporal';
const EventType = temporal.api.enums.v1.EventType;
const alice = { id: 'alice', channel: 'cli' } as const;

describe('signed decisions and round input', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;
  let folder: string;
  const callsOf = (marker: string) => mcp.calls.filter((call) => JSON.stringify(call.arguments).includes(marker));
  const llmRequestsOf = (marker: string) =>
    harness.llm.requests.filter((request) => request.body.messages.some((m) => messageText(m).includes(marker)));

  /** The Temporal CLI against the test server, as an operator (or an intruder) would use it. */
  const temporalCli = (...args: string[]) => run(TEMPORAL, [...args, '--address', inject('temporalAddress')]);

  async function pendingRound(marker: string, tool = 'delete_pod'): Promise<{ handle: RoundHandle; id: string }> {
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: tool, arguments: tool === 'slow' ? { ms: 7 } : { namespace: 'dev', name: marker } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: `${marker} please` });
    const [approval] = await waitForPendingApprovals(handle);
    return { handle, id: approval!.approvalId };
  }

  async function ignoredOf(handle: RoundHandle, count: number): Promise<string[]> {
    for (let tries = 0; ; tries++) {
      const [approval] = (await handle.query(stateQuery)).approvals;
      if (approval!.ignored.length >= count || tries > 100) {
        expect(approval!.status).toBe('pending');
        return approval!.ignored.map((entry) => entry.why);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'toolgate-signing-'));
    writeFileSync(join(folder, 'signing-key'), TEST_PRIVATE_KEY);
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
          tools: { slow: { approval: 'always', approvalTimeout: '2s' } },
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('ignores a raw signal and refuses a raw update from a valid approver without a signature', async () => {
    const { handle, id } = await pendingRound('sd-raw');
    const raw = JSON.stringify({ approvalId: id, decision: 'approve', approver: alice });
    const base = ['--workflow-id', handle.workflowId, '--name', 'decide', '--input', raw];

    await expect(temporalCli('workflow', 'update', 'execute', ...base)).rejects.toMatchObject({
      stderr: expect.stringMatching(/not signed/),
    });
    await temporalCli('workflow', 'signal', ...base);
    expect(await ignoredOf(handle, 1)).toEqual(['Decision refused: it is not signed']);

    const types = ((await handle.fetchHistory()).events ?? []).map((event) => event.eventType);
    expect(types).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect(callsOf('sd-raw')).toHaveLength(0);
  });

  it('does not let a backdated receivedAt approve after expiry', async () => {
    const { handle, id } = await pendingRound('sd-late', 'slow');
    const [approval] = (await handle.query(stateQuery)).approvals;
    const backdated = new Date(Date.parse(approval!.openedAt) + 500).toISOString();
    await harness.stopWorker();
    try {
      await new Promise((resolve) => setTimeout(resolve, Date.parse(approval!.expiresAt) - Date.now() + 500));
      // What the API would sign now (after expiry), with its time moved back; and one never signed at all.
      const late = signedDecision({
        approvalId: id,
        decision: 'approve',
        approver: alice,
        receivedAt: new Date().toISOString(),
      });
      await handle.signal(decideSignal, { ...late, receivedAt: backdated });
      await handle.signal(decideSignal, {
        approvalId: id,
        decision: 'approve',
        approver: alice,
        receivedAt: backdated,
      });
    } finally {
      await harness.startWorker();
    }
    const round = await handle.result();
    expect(round.approvals[0]).toMatchObject({ status: 'expired' });
    expect(round.approvals[0]!.ignored.map((entry) => entry.why)).toEqual([
      `Decision refused: its signature (key '${TEST_KEY_ID}') does not match its content`,
      'Decision refused: it is not signed',
    ]);
    expect(round.toolCalls[0]!.outcome).toBe('expired');
    expect(mcp.calls.filter((call) => call.tool === 'slow')).toHaveLength(0);
  });

  it('ignores decisions signed by a key the round did not load', async () => {
    const { handle, id } = await pendingRound('sd-rogue');
    const decision = { approvalId: id, decision: 'approve', approver: alice } as const;
    const rogue = new Signer('rogue', 'ab'.repeat(32)).decision(decision);
    const impostor = new Signer(TEST_KEY_ID, 'cd'.repeat(32)).decision(decision);
    await handle.signal(decideSignal, rogue);
    await handle.signal(decideSignal, impostor);
    await expect(handle.executeUpdate(decideUpdate, { args: [rogue] })).rejects.toMatchObject({
      cause: { type: 'UnsignedDecision' },
    });
    expect(await ignoredOf(handle, 2)).toEqual([
      "Decision refused: it is signed with key 'rogue', which this round does not know",
      `Decision refused: its signature (key '${TEST_KEY_ID}') does not match its content`,
    ]);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect(callsOf('sd-rogue')).toHaveLength(0);
  });

  it('fails at once, before any LLM call, a round whose input the API did not sign for it', async () => {
    const taskQueue = harness.config.temporal.taskQueue;
    const input = { query: 'sd-forged delete it', requester: 'bob' };
    const signedElsewhere = testSigner.roundInput('round-elsewhere', input);
    const cases: Array<[string, unknown, RegExp]> = [
      ['sd-forged-raw', input, /the round input is refused: it is not signed/],
      [
        'sd-forged-edited',
        { ...testSigner.roundInput('sd-forged-edited', input), requester: 'alice' },
        /does not match/,
      ],
      ['sd-forged-moved', signedElsewhere, /signed for round round-elsewhere, not sd-forged-moved/],
      [
        'sd-forged-stale',
        testSigner.roundInput('sd-forged-stale', input, new Date(Date.now() - 10 * 60_000)),
        /not when this round started/,
      ],
    ];
    for (const [roundId, args, why] of cases) {
      await temporalCli(
        'workflow',
        'start',
        ...['--type', 'queryRound', '--task-queue', taskQueue, '--workflow-id', roundId],
        ...['--input', JSON.stringify(args)],
      );
      const handle = harness.client.workflow.getHandle(roundId);
      const failure = await handle.result().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toMatchObject({
        type: 'UnsignedRoundInput',
        message: expect.stringMatching(why),
      });
    }
    expect(llmRequestsOf('sd-forged')).toHaveLength(0);
  });

  it('applies what `toolgate sign-decision` prints when the Temporal CLI signals it, and starts what `sign-round` prints', async () => {
    harness.routes['sd-operator'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'sd-operator' } }] },
      { content: 'done by hand' },
    );
    const toolgate = (...args: string[]) =>
      run(process.execPath, ['cli/main.ts', ...args, '--key', join(folder, 'signing-key'), '--key-id', TEST_KEY_ID]);
    const roundId = `sd-operator-${Date.now()}`;
    const input = await toolgate('sign-round', '--round', roundId, '--requester', 'carol', '--query', 'sd-operator go');
    await temporalCli(
      'workflow',
      'start',
      ...['--type', 'queryRound', '--task-queue', harness.config.temporal.taskQueue, '--workflow-id', roundId],
      ...['--input', input.stdout.trim()],
    );
    const handle: RoundHandle = harness.client.workflow.getHandle(roundId);
    const [approval] = await waitForPendingApprovals(handle);
    const signed = await toolgate(
      ...['sign-decision', '--approval', approval!.approvalId, '--decision', 'approve', '--approver', 'alice'],
      ...['--digest', approval!.argsDigest],
    );
    const request = JSON.parse(signed.stdout) as DecisionRequest;
    expect(request).toMatchObject({
      approver: alice,
      argsDigest: approval!.argsDigest,
      signature: { keyId: TEST_KEY_ID },
    });
    await temporalCli(
      'workflow',
      'signal',
      '--workflow-id',
      roundId,
      '--name',
      'decide',
      '--input',
      signed.stdout.trim(),
    );
    const round = await handle.result();
    expect(round.answer).toBe('done by hand');
    expect(round.approvals[0]).toMatchObject({ status: 'approved', decision: { approver: alice }, ignored: [] });
    expect(callsOf('sd-operator')).toHaveLength(1);
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBeGreaterThanOrEqual(3);
  });
});

// Edit on approve on a real dev server and worker: the approver's arguments run instead of the model's, the model
// is told so, and edits the schema, the policy (editable: false, quorum) or the signature do not allow are refused.
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
  type DecisionRequest,
} from '../../workflows/contract.ts';
import { argsDigest } from '../../workflows/shared/digest.ts';
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

function edit(approvalId: string, args: Record<string, unknown>, approver = 'alice'): DecisionRequest {
  return signedDecision({
    approvalId,
    decision: 'approve',
    approver: { id: approver, channel: 'http' },
    arguments: args,
    editedArgsDigest: argsDigest(args),
  });
}

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

describe('edit on approve', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice', 'bob'], groups: { oncall: ['alice', 'bob', 'erin'] }, timeout: '10m' },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          approval: 'always',
          tools: {
            delete_pod: { editable: false },
            echo: { quorum: [{ group: 'oncall', count: 2 }] },
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  async function opened(marker: string, toolCall: { name: string; arguments: Record<string, unknown> }) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [toolCall] }, { content: `done ${marker}` });
    const handle = await harness.start({ query: marker, requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    return { handle, approvalId: approval!.approvalId };
  }

  function toolMessageOf(marker: string): string {
    const second = harness.llm.requests.filter((request) =>
      request.body.messages.some((message) => message.role === 'user' && messageText(message) === marker),
    )[1];
    return messageText(lastToolMessages(second!)[0]);
  }

  it('runs the edited call instead of the model’s, records both argument sets and tells the model', async () => {
    const original = { namespace: 'prod', name: 'web', replicas: 30 };
    const { handle, approvalId } = await opened('e-run', { name: 'scale_deployment', arguments: original });
    const edited = { namespace: 'prod', name: 'web', replicas: 3 };
    const result = await handle.executeUpdate(decideUpdate, { args: [edit(approvalId, edited)] });
    expect(result).toMatchObject({
      status: 'approved',
      applied: true,
      decision: { editedArguments: edited, editedArgsDigest: argsDigest(edited), argsDigest: argsDigest(original) },
      originalArguments: original,
    });
    const round = await handle.result();
    expect(round.answer).toBe('done e-run');
    const ran = mcp.calls.filter((call) => call.tool === 'scale_deployment' && call.arguments.name === 'web');
    expect(ran.map((call) => call.arguments)).toEqual([edited]);
    expect(round.approvals[0]).toMatchObject({ status: 'approved', arguments: original });
    expect(round.toolCalls[0]).toMatchObject({ arguments: original, editedArguments: edited, outcome: 'succeeded' });
    expect(toolMessageOf('e-run')).toBe(
      'Approved with changes by alice: ran with arguments {"name":"web","namespace":"prod","replicas":3} instead of ' +
        '{"name":"web","namespace":"prod","replicas":30}.\n\nscaled deployment prod/web to 3 replicas',
    );
    const decided = (await handle.query(eventsQuery, 0)).events.find((event) => event.type === 'approval_decided');
    expect(decided).toMatchObject({ decision: { editedArguments: edited } });
    expect(await harness.replayRounds()).toBeGreaterThan(0);
  });

  it('refuses an edit the tool’s schema does not allow, with every reason, and keeps the approval open', async () => {
    const { handle, approvalId } = await opened('e-schema', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 'api', replicas: 2 },
    });
    const failure = await refusal(
      handle.executeUpdate(decideUpdate, { args: [edit(approvalId, { namespace: 'dev', replicas: 'three' })] }),
    );
    expect(failure.type).toBe(FailureType.InvalidEdit);
    expect((failure.details?.[0] as { reasons: string[] }).reasons).toEqual([
      'name is required',
      'replicas must be of type number, not string',
    ]);
    const deep = { namespace: 'dev', name: 'api', replicas: 2, x: JSON.parse('['.repeat(70) + ']'.repeat(70)) };
    expect((await refusal(handle.executeUpdate(decideUpdate, { args: [edit(approvalId, deep)] }))).message).toMatch(
      /nest deeper than 64/,
    );
    // A plain approval still applies, with the model's arguments.
    await handle.executeUpdate(decideUpdate, {
      args: [signedDecision({ approvalId, decision: 'approve', approver: { id: 'bob', channel: 'http' } })],
    });
    await handle.result();
    expect(mcp.calls.filter((call) => call.arguments.name === 'api').map((call) => call.arguments)).toEqual([
      { namespace: 'dev', name: 'api', replicas: 2 },
    ]);
  });

  it('refuses edits of a tool with editable: false and of a quorum approval', async () => {
    const pod = await opened('e-locked', { name: 'delete_pod', arguments: { namespace: 'dev', name: 'p1' } });
    const locked = await refusal(
      pod.handle.executeUpdate(decideUpdate, { args: [edit(pod.approvalId, { namespace: 'dev', name: 'p2' })] }),
    );
    expect(locked.type).toBe(FailureType.EditNotAllowed);
    expect(locked.message).toMatch(/editable: false/);
    await pod.handle.cancel();

    const echo = await opened('e-quorum', { name: 'echo', arguments: { message: 'hi' } });
    await echo.handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision({ approvalId: echo.approvalId, decision: 'approve', approver: { id: 'bob', channel: 'http' } }),
      ],
    });
    const quorum = await refusal(
      echo.handle.executeUpdate(decideUpdate, { args: [edit(echo.approvalId, { message: 'bye' })] }),
    );
    expect(quorum.type).toBe(FailureType.EditNotAllowed);
    expect(quorum.message).toMatch(/1 other approver already approved the original arguments/);
    await echo.handle.cancel();
  });

  it('refuses edited arguments that are not the ones the signature covers, and a signal of them changes nothing', async () => {
    const { handle, approvalId } = await opened('e-forged', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 'forged', replicas: 1 },
    });
    const signed = edit(approvalId, { namespace: 'dev', name: 'forged', replicas: 2 });
    const forged = { ...signed, arguments: { namespace: 'prod', name: 'forged', replicas: 200 } };
    const failure = await refusal(handle.executeUpdate(decideUpdate, { args: [forged] }));
    expect(failure.type).toBe(FailureType.UnsignedDecision);
    await handle.signal(decideSignal, forged);
    await handle.executeUpdate(decideUpdate, { args: [signed] });
    await handle.result();
    expect(mcp.calls.filter((call) => call.arguments.name === 'forged').map((call) => call.arguments)).toEqual([
      { namespace: 'dev', name: 'forged', replicas: 2 },
    ]);
  });
});

describe('edit on approve across a SIGKILLed worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-edit-'));
  let mcp: HttpMcpServer;
  let llm: ScriptedLlmServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    llm = await startScriptedLlmServer(
      scriptedSteps(
        { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'prod', name: 'kill', replicas: 50 } }] },
        { content: 'scaled after the kill' },
      ),
    );
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  it('applies an edit queued while no worker ran, once, with the edited arguments', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-edit-${randomUUID()}`;
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'], timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, approval: 'always' }],
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    let worker = await spawnWorker(configPath);
    try {
      const workflowId = `round-${randomUUID()}`;
      const handle: RoundHandle = await client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId,
        args: [testSigner.roundInput(workflowId, { query: 'e-kill', requester: 'carol' })],
      });
      const [approval] = await waitForPendingApprovals(handle);
      await worker.stop('SIGKILL');
      await handle.signal(decideSignal, edit(approval!.approvalId, { namespace: 'prod', name: 'kill', replicas: 5 }));
      worker = await spawnWorker(configPath);
      const round = await handle.result();
      expect(round.answer).toBe('scaled after the kill');
      expect(mcp.calls.filter((call) => call.tool === 'scale_deployment').map((call) => call.arguments)).toEqual([
        { namespace: 'prod', name: 'kill', replicas: 5 },
      ]);
      expect(round.approvals[0]!.decision).toMatchObject({ editedArguments: { replicas: 5 } });
    } finally {
      await worker.stop('SIGTERM');
      await connection.close();
    }
  });
});

// Previews on a real dev server and worker: a read-only tool of the same server runs before the approval opens,
// its output is on the approval and bound by its digest, a failed or unavailable preview never hides the
// approval, argument mappings pick what the preview gets, and a worker SIGKILLed during a preview loses nothing.
import { argsDigest } from '../../workflows/shared/digest.ts';
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
  type DecisionRequest,
} from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { previewDigest } from '../../workflows/shared/preview-text.ts';
import { startHarness, waitForPendingApprovals, type Harness, type RoundHandle } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps, startScriptedLlmServer, type ScriptedLlmServer } from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { freePort } from '../../scripts/ports.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';

/** The tools of the test server and what previews them: same arguments, a mapping, an error, and two misconfigured. */
const tools = {
  write_record: { preview: { tool: 'read_record' } },
  write_file: { approval: 'always', preview: { tool: 'echo', arguments: { message: 'path' } } },
  delete_pod: { preview: { tool: 'echo' } },
  scale_deployment: { approval: 'always', preview: { tool: 'write_record', arguments: { key: 'name' } } },
  slow: { preview: { tool: 'no_such_tool' } },
};

const alice = { id: 'alice', channel: 'http' } as const;

describe('approval previews', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;
  const callsOf = (tool: string) => mcp.calls.filter((call) => call.tool === tool);

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice', 'bob'], timeout: '10m' },
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, tools }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  async function opened(marker: string, call: { name: string; arguments: Record<string, unknown> }) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [call] }, { content: `${marker} done` });
    const handle = await harness.start({ query: marker, requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    return { handle, approval: approval! };
  }

  function decide(handle: RoundHandle, request: Omit<DecisionRequest, 'signature' | 'approver'>) {
    return handle.executeUpdate(decideUpdate, { args: [signedDecision({ ...request, approver: alice })] });
  }

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    const error = await promise.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }

  it('runs the preview with the call’s arguments before the approval opens and binds it by its digest', async () => {
    const { handle, approval } = await opened('pv-same', { name: 'write_record', arguments: { key: 'pv-same' } });
    const previews = callsOf('read_record').filter((call) => call.arguments.key === 'pv-same');
    expect(previews).toHaveLength(1);
    expect(previews[0]!.arguments).toEqual({ key: 'pv-same' });
    expect(callsOf('write_record').filter((call) => call.arguments.key === 'pv-same')).toHaveLength(0);
    const preview = approval.preview!;
    expect(preview).toMatchObject({
      tool: 'read_record',
      status: 'ok',
      content: 'read_record pv-same',
      truncated: false,
      chars: 'read_record pv-same'.length,
    });
    expect(Date.parse(preview.at)).toBeLessThanOrEqual(Date.parse(approval.openedAt));
    expect(preview.digest).toBe(previewDigest(preview));
    expect(approval.previewDigest).toBe(preview.digest);

    // The event and the memo carry the summary, never the content.
    const required = (await handle.query(eventsQuery, 0)).events.find((event) => event.type === 'approval_required');
    expect(required).toMatchObject({ approval: { preview: { tool: 'read_record', digest: preview.digest } } });
    expect(JSON.stringify(required)).not.toContain('read_record pv-same');

    const other = 'f'.repeat(64);
    expect(
      await refusal(decide(handle, { approvalId: approval.approvalId, decision: 'approve', previewDigest: other })),
    ).toBe(FailureType.PreviewMismatch);
    // As a signal it is recorded as ignored, never applied.
    await handle.signal(
      decideSignal,
      signedDecision({ approvalId: approval.approvalId, decision: 'approve', approver: alice, previewDigest: other }),
    );
    await expect
      .poll(async () => (await handle.query(stateQuery)).approvals[0]!.ignored.length, { timeout: 10_000 })
      .toBe(1);
    expect(callsOf('write_record').filter((call) => call.arguments.key === 'pv-same')).toHaveLength(0);

    // The preview shows what these arguments would change: an edited call was never previewed, so it may not run.
    const edited = { key: 'pv-other' };
    expect(
      await refusal(
        decide(handle, {
          approvalId: approval.approvalId,
          decision: 'approve',
          previewDigest: preview.digest,
          arguments: edited,
          editedArgsDigest: argsDigest(edited),
        }),
      ),
    ).toBe(FailureType.EditNotAllowed);

    const result = await decide(handle, {
      approvalId: approval.approvalId,
      decision: 'approve',
      argsDigest: approval.argsDigest,
      previewDigest: preview.digest,
    });
    expect(result).toMatchObject({ status: 'approved', decision: { previewDigest: preview.digest } });
    const round = await handle.result();
    expect(round.answer).toBe('pv-same done');
    expect(callsOf('write_record').filter((call) => call.arguments.key === 'pv-same')).toHaveLength(1);
    expect(round.approvals[0]).toMatchObject({ status: 'approved', preview: { content: 'read_record pv-same' } });
  });

  it('calls the preview with mapped arguments only', async () => {
    const { handle, approval } = await opened('pv-map', {
      name: 'write_file',
      arguments: { path: 'notes/pv-map.txt', content: 'not for the preview' },
    });
    const echoes = callsOf('echo').filter((call) => call.arguments.message === 'notes/pv-map.txt');
    expect(echoes.map((call) => call.arguments)).toEqual([{ message: 'notes/pv-map.txt' }]);
    expect(approval.preview).toMatchObject({ tool: 'echo', status: 'ok', content: 'echo: notes/pv-map.txt' });
    await decide(handle, { approvalId: approval.approvalId, decision: 'reject', reason: 'no' });
    await handle.result();
  });

  it('shows a failed preview as failed, with the error, and the approval opens anyway', async () => {
    const { handle, approval } = await opened('pv-fail', {
      name: 'delete_pod',
      arguments: { namespace: 'dev', name: 'pv-fail' },
    });
    // echo wants `message`: the server answers with an error, which is what the approver reads.
    expect(approval.status).toBe('pending');
    expect(approval.preview).toMatchObject({ tool: 'echo', status: 'failed' });
    expect(approval.preview!.content).toMatch(/Invalid arguments for tool echo/);
    expect(approval.previewDigest).toBe(previewDigest(approval.preview!));
    await decide(handle, {
      approvalId: approval.approvalId,
      decision: 'approve',
      previewDigest: approval.previewDigest,
    });
    await handle.result();
    expect(callsOf('delete_pod').filter((call) => call.arguments.name === 'pv-fail')).toHaveLength(1);
  });

  it('never runs a preview tool that may write, or one the server lacks: the approval says why', async () => {
    const scaled = await opened('pv-writes', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 'pv-writes', replicas: 2 },
    });
    expect(scaled.approval.preview).toMatchObject({ tool: 'write_record', status: 'failed' });
    expect(scaled.approval.preview!.content).toMatch(/not run: preview tool 'write_record' is not read-only/);
    expect(callsOf('write_record').filter((call) => call.arguments.key === 'pv-writes')).toHaveLength(0);
    await decide(scaled.handle, { approvalId: scaled.approval.approvalId, decision: 'reject' });
    await scaled.handle.result();

    const missing = await opened('pv-missing', { name: 'slow', arguments: { ms: 1 } });
    expect(missing.approval.preview).toMatchObject({ tool: 'no_such_tool', status: 'failed' });
    expect(missing.approval.preview!.content).toMatch(/preview tool 'no_such_tool' is not offered by server 'k8s'/);
    await decide(missing.handle, { approvalId: missing.approval.approvalId, decision: 'reject' });
    await missing.handle.result();
  });

  it('replays every round it ran', async () => {
    expect(await harness.replayRounds()).toBe(5);
  });
});

describe('approval previews across a SIGKILLed worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-previews-'));
  let mcp: HttpMcpServer;
  let llm: ScriptedLlmServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    llm = await startScriptedLlmServer(
      scriptedSteps({ toolCalls: [{ name: 'slow', arguments: { ms: 1500 } }] }, { content: 'slept after the kill' }),
    );
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  it('tries the preview again when the worker dies during it, opens the approval once and runs the call once', async () => {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-previews-${randomUUID()}`;
    const port = await freePort();
    const configPath = writeConfig(join(folder, 'worker.yaml'), {
      temporal: { address, taskQueue },
      llm: { baseURL: llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'], timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          tools: { slow: { preview: { tool: 'slow_read', timeout: '3s' } } },
        },
      ],
      worker: { metrics: { port } },
    });
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection });
    let worker = await spawnWorker(configPath);
    try {
      const workflowId = `round-${randomUUID()}`;
      const handle = await client.workflow.start<typeof queryRound>('queryRound', {
        taskQueue,
        workflowId,
        args: [testSigner.roundInput(workflowId, { query: 'pv-kill', requester: 'carol' })],
      });
      await expect
        .poll(() => mcp.calls.filter((call) => call.tool === 'slow_read').length, { timeout: 20_000 })
        .toBe(1);
      await worker.stop('SIGKILL');
      worker = await spawnWorker(configPath);
      const [approval] = await waitForPendingApprovals(handle, 1, 60_000);
      // The first attempt died with its worker; the activity's deadline sent the preview again.
      expect(mcp.calls.filter((call) => call.tool === 'slow_read').length).toBeGreaterThanOrEqual(2);
      expect(approval!.preview).toMatchObject({ tool: 'slow_read', status: 'ok', content: 'slept 1500' });
      await handle.signal(
        decideSignal,
        signedDecision({
          approvalId: approval!.approvalId,
          decision: 'approve',
          approver: { id: 'alice', channel: 'cli' },
          previewDigest: approval!.previewDigest,
        }),
      );
      const round = await handle.result();
      expect(round.answer).toBe('slept after the kill');
      expect(round.approvals).toHaveLength(1);
      expect(mcp.calls.filter((call) => call.tool === 'slow')).toHaveLength(1);
      // Counted once, by the worker that saw the preview finish.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^toolgate_approval_previews_total\{[^}]*status="ok"[^}]*\} 1$/m);
      expect(metrics).toMatch(/^toolgate_approval_previews_total\{[^}]*tool="slow"[^}]*\} 1$/m);
    } finally {
      await worker.stop('SIGTERM');
      await connection.close();
    }
  });
});

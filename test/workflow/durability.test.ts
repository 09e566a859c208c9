// Pending approvals survive a SIGKILLed worker, a worker-less expiry and a restart of the Temporal server.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevServer } from '../../scripts/dev-server.ts';
import { parseConfig } from '../../runtime/config.ts';
import { createToolgateWorker } from '../../worker/create-worker.ts';
import { createLogger } from '../../runtime/logger.ts';
import { decideSignal, stateQuery } from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { waitForPendingApprovals, workflowBundle } from '../support/round-harness.ts';
import {
  routeByMarker,
  scriptedSteps,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';

const alice = { id: 'alice', channel: 'cli' } as const;
const EventType = temporal.api.enums.v1.EventType;

describe('durability', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-durability-'));
  const routes: Record<string, LlmScript> = {};
  let llm: ScriptedLlmServer;
  let mcp: HttpMcpServer;

  const rawConfig = (address: string, taskQueue: string, server: Record<string, unknown> = {}) => ({
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
        tools: { scale_deployment: { approvalTimeout: '3s' } },
        ...server,
      },
    ],
  });
  const deletes = (marker: string) =>
    mcp.calls.filter((call) => call.tool === 'delete_pod' && call.arguments.name === marker);

  beforeAll(async () => {
    llm = await startScriptedLlmServer(routeByMarker(routes));
    mcp = await startHttpMcpServer({ name: 'k8s' });
  });

  afterAll(async () => {
    await llm?.close();
    await mcp?.close();
  });

  async function clientFor(address: string) {
    const connection = await NativeConnection.connect({ address });
    return { connection, client: new Client({ connection }) };
  }

  /** A worker process on its own task queue, and a round `marker` started on it. */
  async function roundOnWorkerProcess(marker: string, server: Record<string, unknown> = {}) {
    const address = inject('temporalAddress');
    const taskQueue = `toolgate-${marker}-${randomUUID()}`;
    const configPath = writeConfig(join(folder, `${marker}.yaml`), rawConfig(address, taskQueue, server));
    const { connection, client } = await clientFor(address);
    const worker = await spawnWorker(configPath);
    const workflowId = `round-${randomUUID()}`;
    const handle = await client.workflow.start<typeof queryRound>('queryRound', {
      taskQueue,
      workflowId,
      args: [testSigner.roundInput(workflowId, { query: marker, requester: 'carol' })],
    });
    return { handle, worker, connection, restartWorker: () => spawnWorker(configPath) };
  }

  it('completes after the worker is SIGKILLed with an approval pending, running the tool once', async () => {
    routes['d-kill'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'd-kill' } }] },
      { content: 'deleted after restart' },
    );
    const { handle, worker: first, connection, restartWorker } = await roundOnWorkerProcess('d-kill');
    const [approval] = await waitForPendingApprovals(handle);
    await first.stop('SIGKILL');
    const second = await restartWorker();
    try {
      await handle.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
      const result = await handle.result();
      expect(result.answer).toBe('deleted after restart');
      expect(deletes('d-kill')).toHaveLength(1);
    } finally {
      await second.stop('SIGTERM');
      await connection.close();
    }
  });

  it('retries an LLM call lost with a SIGKILLed worker within the heartbeat timeout, not at its 5-minute deadline', async () => {
    routes['d-llm-kill'] = scriptedSteps(
      { delayMs: 120_000, then: { content: 'too late' } },
      { content: 'answered after the crash' },
    );
    const { handle, worker: first, connection, restartWorker } = await roundOnWorkerProcess('d-llm-kill');
    const llmRequests = () =>
      llm.requests.filter((request) => JSON.stringify(request.body.messages).includes('d-llm-kill')).length;
    await expect.poll(llmRequests, { timeout: 20_000 }).toBe(1);
    await first.stop('SIGKILL');
    const killedAt = Date.now();
    const second = await restartWorker();
    try {
      expect((await handle.result()).answer).toBe('answered after the crash');
      expect(llmRequests()).toBe(2);
      expect(Date.now() - killedAt).toBeLessThan(60_000);
    } finally {
      await second.stop('SIGTERM');
      await connection.close();
    }
  });

  it('expires an approval whose timer fires while no worker runs', async () => {
    routes['d-expire'] = scriptedSteps(
      { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'd-expire', replicas: 0 } }] },
      { content: 'noted' },
    );
    const { handle, worker: first, connection, restartWorker } = await roundOnWorkerProcess('d-expire');
    const [approval] = await waitForPendingApprovals(handle);
    await first.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const restartedAt = Date.now();
    const second = await restartWorker();
    try {
      const result = await handle.result();
      expect(result.approvals[0]).toMatchObject({ status: 'expired', closedAt: approval!.expiresAt });
      expect(result.approvals[0]!.decision).toBeUndefined();
      expect(result.toolCalls[0]!.outcome).toBe('expired');
      expect(mcp.calls.filter((call) => call.arguments.name === 'd-expire')).toHaveLength(0);
      // The server fired the timer at the approval's expiry, while no worker ran, not when the worker came back.
      const fired = ((await handle.fetchHistory()).events ?? []).find(
        (event) => event.eventType === EventType.EVENT_TYPE_TIMER_FIRED,
      );
      const firedAt = Number(fired!.eventTime!.seconds) * 1000 + Math.floor((fired!.eventTime!.nanos ?? 0) / 1e6);
      expect(firedAt).toBeLessThan(restartedAt);
      expect(Math.abs(firedAt - Date.parse(approval!.expiresAt))).toBeLessThan(1500);
    } finally {
      await second.stop('SIGTERM');
      await connection.close();
    }
  });

  it('reports a call lost with a worker SIGKILLed mid-call as outcome unknown, and never runs it again', async () => {
    routes['d-midcall'] = scriptedSteps(
      { toolCalls: [{ name: 'slow', arguments: { ms: 4321 } }] },
      { content: 'told' },
    );
    const {
      handle,
      worker: first,
      connection,
      restartWorker,
    } = await roundOnWorkerProcess('d-midcall', { approval: 'never' });
    const hits = () => mcp.calls.filter((call) => call.tool === 'slow' && call.arguments.ms === 4321).length;
    await expect.poll(hits, { timeout: 20_000 }).toBe(1);
    await first.stop('SIGKILL');
    const second = await restartWorker();
    try {
      const result = await handle.result();
      expect(result.toolCalls[0]).toMatchObject({ outcome: 'outcome_unknown', attempts: 1 });
      expect(result.toolCalls[0]!.content).toContain('its outcome is unknown');
      expect(hits()).toBe(1);
      const told = llm.requests.filter((request) => JSON.stringify(request.body.messages).includes('d-midcall'))[1];
      expect(JSON.stringify(told!.body.messages)).toContain('its outcome is unknown');
    } finally {
      await second.stop('SIGTERM');
      await connection.close();
    }
  });

  it('keeps a pending approval across a restart of the Temporal server on the same SQLite file', async () => {
    const dbFilename = join(folder, 'temporal.sqlite');
    const logger = createLogger('durability');
    logger.level = 'warn';
    let server = await startDevServer({ dbFilename, ui: false, logOutput: join(folder, 'server.log') });
    const taskQueue = `toolgate-restart-${randomUUID()}`;
    routes['d-restart'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'd-restart' } }] },
      { content: 'survived' },
    );

    let { connection, client } = await clientFor(server.address);
    let worker = await createToolgateWorker({
      config: parseConfig(rawConfig(server.address, taskQueue), 'test'),
      connection,
      logger,
      workflowBundle: workflowBundle(),
    });
    let running = worker.worker.run();
    await worker.promote();
    const workflowId = `round-${randomUUID()}`;
    const handle = await client.workflow.start<typeof queryRound>('queryRound', {
      taskQueue,
      workflowId,
      args: [testSigner.roundInput(workflowId, { query: 'd-restart', requester: 'carol' })],
    });
    const [approval] = await waitForPendingApprovals(handle);
    await worker.close();
    await running;
    await connection.close();
    await server.stop();

    server = await startDevServer({ dbFilename, port: server.port, ui: false, logOutput: join(folder, 'server.log') });
    try {
      ({ connection, client } = await clientFor(server.address));
      worker = await createToolgateWorker({
        config: parseConfig(rawConfig(server.address, taskQueue), 'test'),
        connection,
        logger,
        workflowBundle: workflowBundle(),
      });
      running = worker.worker.run();
      await worker.promote();
      const again = client.workflow.getHandle<typeof queryRound>(workflowId);
      const state = await again.query(stateQuery);
      expect(state.approvals.map((entry) => [entry.approvalId, entry.status])).toEqual([
        [approval!.approvalId, 'pending'],
      ]);
      await again.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
      expect((await again.result()).answer).toBe('survived');
      expect(deletes('d-restart')).toHaveLength(1);
    } finally {
      await worker.close();
      await running;
      await connection.close();
      await server.stop();
    }
  });
});

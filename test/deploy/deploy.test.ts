// Deploys on a real dev server with Worker Versioning: a round waits for a human under version N of the
// workflow code; N stops; N+1 (a real code change) starts; the round goes on, correctly, under N+1.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import { buildIdOf } from '../../runtime/deployment.ts';
import { createLogger } from '../../runtime/logger.ts';
import { createToolgateWorker } from '../../worker/create-worker.ts';
import { upgradeRounds } from '../../scripts/upgrade-rounds.ts';
import { decideSignal } from '../../workflows/contract.ts';
import type { queryRound } from '../../workflows/query-round.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { waitForPendingApprovals, workflowBundle, type RoundHandle } from '../support/round-harness.ts';
import {
  routeByMarker,
  scriptedSteps,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { bundleWithGate } from './bundle-next-version.ts';
import { TEST_SIGNING, signedDecision, testSigner } from '../../testkit/signing.ts';

const EventType = temporal.api.enums.v1.EventType;
const alice = { id: 'alice', channel: 'cli' } as const;

describe('deploys under waiting approvals', () => {
  const routes: Record<string, LlmScript> = {};
  const deploymentName = `toolgate-deploy-${randomUUID().slice(0, 8)}`;
  const taskQueue = `toolgate-deploy-${randomUUID()}`;
  const logger = createLogger('deploy-test');
  logger.level = 'warn';
  let llm: ScriptedLlmServer;
  let mcp: HttpMcpServer;
  let connection: NativeConnection;
  let client: Client;
  const versionN = workflowBundle();
  let versionNext: { code: string };
  let unpatched: { code: string };
  const buildN = buildIdOf(versionN.code);
  let buildNext: string;

  beforeAll(async () => {
    llm = await startScriptedLlmServer(routeByMarker(routes));
    mcp = await startHttpMcpServer({ name: 'k8s' });
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    versionNext = await bundleWithGate('./next-version-gate.ts');
    unpatched = await bundleWithGate('./unpatched-gate.ts');
    buildNext = buildIdOf(versionNext.code);
  });

  afterAll(async () => {
    await connection?.close();
    await llm?.close();
    await mcp?.close();
  });

  const config = parseConfig(
    {
      temporal: { address: inject('temporalAddress'), taskQueue, deployment: { name: deploymentName } },
      llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'scripted' },
      approvals: { approvers: ['alice'], timeout: '10m' },
      signing: TEST_SIGNING,
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: 'http://127.0.0.1:1/mcp',
          trusted: true,
          tools: { scale_deployment: { approvalTimeout: '3s' } },
        },
      ],
    },
    'deploy test',
  );

  /** A worker of one version, made the deployment's current version as `npm start` and production do. */
  async function startVersion(bundle: { code: string }) {
    const live = {
      ...config,
      llm: { ...config.llm, baseURL: llm.baseURL },
      servers: config.servers.map((server) => ({ ...server, url: mcp.url })),
    };
    const worker = await createToolgateWorker({ config: live, connection, logger, workflowBundle: bundle });
    const running = worker.worker.run();
    await worker.promote();
    return {
      buildId: worker.version!.buildId,
      async stop() {
        await worker.close();
        await running;
      },
    };
  }

  async function startRound(marker: string): Promise<RoundHandle> {
    const workflowId = `round-${randomUUID()}`;
    return client.workflow.start<typeof queryRound>('queryRound', {
      taskQueue,
      workflowId,
      args: [testSigner.roundInput(workflowId, { query: marker, requester: 'carol' })],
    });
  }

  async function pinnedTo(handle: RoundHandle): Promise<string | undefined> {
    const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return info?.versioningOverride?.pinned?.version?.buildId ?? info?.deploymentVersion?.buildId ?? undefined;
  }

  const deletes = (name: string) =>
    mcp.calls.filter((call) => call.tool === 'delete_pod' && call.arguments.name === name);

  it('gives the two versions different build ids, from their code', () => {
    expect(buildN).toMatch(/^[0-9a-f]{12}$/);
    expect(buildNext).not.toBe(buildN);
  });

  it('moves a round waiting under N to N+1 after N stops; it completes under the new code and runs its tool once', async () => {
    routes['v-deploy'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'v-deploy' } }] },
      { content: 'done after the deploy' },
    );
    const n = await startVersion(versionN);
    const handle = await startRound('v-deploy');
    const [approval] = await waitForPendingApprovals(handle);
    expect(await pinnedTo(handle)).toBe(buildN);
    await n.stop();

    const next = await startVersion(versionNext);
    try {
      const report = await upgradeRounds({
        client,
        namespace: 'default',
        deploymentName,
        fromBuildId: buildN,
        toBuildId: buildNext,
        workflowBundle: versionNext,
      });
      expect(report).toEqual({ moved: [handle.workflowId], refused: [] });
      expect(await pinnedTo(handle)).toBe(buildNext);
      await handle.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
      expect((await handle.result()).answer).toBe('done after the deploy');
      expect(deletes('v-deploy')).toHaveLength(1);
      // The change ran: its patch marker and its timer are in the history, after the approval.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(true);
      expect(events.filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED)).toHaveLength(2);
    } finally {
      await next.stop();
    }
  });

  it('completes a round whose approval expired during the deploy as expired, without running the tool', async () => {
    routes['v-expire'] = scriptedSteps(
      { toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'v-expire', replicas: 0 } }] },
      { content: 'noted' },
    );
    const n = await startVersion(versionN);
    const handle = await startRound('v-expire');
    await waitForPendingApprovals(handle);
    await n.stop();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const next = await startVersion(versionNext);
    try {
      expect(
        (
          await upgradeRounds({
            client,
            namespace: 'default',
            deploymentName,
            fromBuildId: buildN,
            toBuildId: buildNext,
            workflowBundle: versionNext,
          })
        ).moved,
      ).toEqual([handle.workflowId]);
      const result = await handle.result();
      expect(result.approvals[0]).toMatchObject({ status: 'expired' });
      expect(result.toolCalls[0]!.outcome).toBe('expired');
      expect(mcp.calls.filter((call) => call.arguments.name === 'v-expire')).toHaveLength(0);
    } finally {
      await next.stop();
    }
  });

  it('leaves a round on N when the new code cannot replay it (a change without patched())', async () => {
    routes['v-unpatched'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'v-unpatched' } }] },
      { content: 'done on N' },
    );
    const n = await startVersion(versionN);
    try {
      const handle = await startRound('v-unpatched');
      const [approval] = await waitForPendingApprovals(handle);
      const report = await upgradeRounds({
        client,
        namespace: 'default',
        deploymentName,
        fromBuildId: buildN,
        toBuildId: buildIdOf(unpatched.code),
        workflowBundle: unpatched,
      });
      expect(report.moved).toEqual([]);
      expect(report.refused).toEqual([
        { roundId: handle.workflowId, error: expect.stringMatching(/[Nn]ondeterminism/) },
      ]);
      expect(await pinnedTo(handle)).toBe(buildN);
      await handle.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
      expect((await handle.result()).answer).toBe('done on N');
    } finally {
      await n.stop();
    }
  });

  it('drains pinned rounds on the old version while new rounds start on the new one', async () => {
    routes['v-drain'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'v-drain' } }] },
      { content: 'drained on N' },
    );
    routes['v-fresh'] = scriptedSteps({ content: 'started on N+1' });
    const n = await startVersion(versionN);
    const old = await startRound('v-drain');
    const [approval] = await waitForPendingApprovals(old);
    const next = await startVersion(versionNext);
    try {
      const fresh = await startRound('v-fresh');
      expect((await fresh.result()).answer).toBe('started on N+1');
      expect(await pinnedTo(fresh)).toBe(buildNext);
      await old.signal(
        decideSignal,
        signedDecision({ approvalId: approval!.approvalId, decision: 'approve', approver: alice }),
      );
      expect((await old.result()).answer).toBe('drained on N');
      expect(await pinnedTo(old)).toBe(buildN);
      const completedBy = ((await old.fetchHistory()).events ?? [])
        .filter((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        .map((event) => event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId);
      expect(new Set(completedBy)).toEqual(new Set([buildN]));
    } finally {
      await next.stop();
      await n.stop();
    }
  });
});

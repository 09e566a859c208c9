// Metrics an operator answers questions with: a real worker process exports Temporal's worker metrics and
// toolgate's domain metrics on its Prometheus endpoint, the API exports the pending approvals it reads from
// visibility; values match the scripted rounds, and no label carries a round id, a principal or an argument.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChildService } from '../../testkit/child-processes.ts';
import { freePort } from '../../scripts/ports.ts';
import { approveShown, firstApprovalId, startApi, type ApiHarness } from '../support/api-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

/** Pending-approval gauges cover the whole namespace, which other test files share: a server name of our own. */
const SERVER = 'observed';

/** One sample's value from Prometheus text, by name and an exact label set; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('metrics', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-metrics-'));
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  let worker: ChildService;
  let workerMetrics: string;
  const argument = `pod-${randomUUID()}`;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: SERVER });
    const servers = [
      {
        name: SERVER,
        transport: 'http',
        url: mcp.url,
        trusted: true,
        tools: { scale_deployment: { approvalTimeout: '2s' } },
      },
    ];
    harness = await startHarness({ approvals: { approvers: ['alice'] }, servers, worker: false });
    api = await startApi(harness);
    const port = await freePort();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
    worker = await spawnWorker(
      writeConfig(join(folder, 'worker.yaml'), {
        temporal: { address: inject('temporalAddress'), taskQueue: harness.config.temporal.taskQueue },
        llm: { baseURL: harness.llm.baseURL, model: 'scripted' },
        approvals: { approvers: ['alice'] },
        signing: TEST_SIGNING,
        servers,
        worker: { metrics: { port } },
      }),
      120_000,
    );
  });

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  async function start(marker: string, tool: string, args: Record<string, unknown>): Promise<string> {
    harness.routes[marker] = scriptedSteps({ toolCalls: [{ name: tool, arguments: args }] }, { content: 'done' });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    harness.roundIds.push(started.body.roundId);
    return started.body.roundId as string;
  }

  const pendingApprovalOf = (roundId: string) => firstApprovalId(api.request, roundId);

  const statusOf = (roundId: string) =>
    expect.poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, {
      timeout: 20_000,
    });

  it('counts rounds, tool calls, decisions and expiries on the worker, and pending approvals on the API', async () => {
    const approved = await start(`m-approved-${randomUUID()}`, 'delete_pod', { namespace: 'dev', name: argument });
    const approvalId = await pendingApprovalOf(approved);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
    await statusOf(approved).toBe('completed');

    const expired = await start(`m-expired-${randomUUID()}`, 'scale_deployment', { name: 'web', replicas: 2 });
    await statusOf(expired).toBe('completed');

    const waiting = await start(`m-waiting-${randomUUID()}`, 'delete_pod', { namespace: 'dev', name: 'waits' });
    await pendingApprovalOf(waiting);
    const apiText = (await api.request(undefined, 'GET', '/metrics')).body as string;
    expect(sample(apiText, 'toolgate_approvals_pending', { server: SERVER, tool: 'delete_pod' })).toBe(1);
    const expiresIn = sample(apiText, 'toolgate_approval_next_expiry_seconds', { server: SERVER, tool: 'delete_pod' });
    expect(expiresIn).toBeGreaterThan(500);
    expect(expiresIn).toBeLessThanOrEqual(600);
    expect((await api.request('carol', 'DELETE', `/v1/rounds/${waiting}`)).status).toBe(202);
    await statusOf(waiting).toBe('cancelled');

    let text = '';
    await expect
      .poll(
        async () => {
          text = await (await fetch(workerMetrics)).text();
          return sample(text, 'toolgate_rounds_total', { status: 'cancelled' });
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(sample(text, 'toolgate_rounds_total', { status: 'completed' })).toBe(2);
    expect(
      sample(text, 'toolgate_tool_calls_total', { server: SERVER, tool: 'delete_pod', outcome: 'succeeded' }),
    ).toBe(1);
    expect(
      sample(text, 'toolgate_approvals_closed_total', { server: SERVER, tool: 'scale_deployment', status: 'expired' }),
    ).toBe(1);
    expect(
      sample(text, 'toolgate_approvals_closed_total', { server: SERVER, tool: 'delete_pod', status: 'cancelled' }),
    ).toBe(1);
    expect(sample(text, 'toolgate_approval_decision_seconds_count', { channel: 'http', outcome: 'approved' })).toBe(1);
    const decisionSeconds = sample(text, 'toolgate_approval_decision_seconds_sum', {
      channel: 'http',
      outcome: 'approved',
    });
    expect(decisionSeconds).toBeGreaterThanOrEqual(1);
    expect(decisionSeconds).toBeLessThan(30);
    expect(sample(text, 'toolgate_llm_tokens_total', { model: 'scripted', kind: 'prompt' })).toBeGreaterThan(0);
    expect(sample(text, 'toolgate_llm_request_duration_seconds_count', { model: 'scripted', outcome: 'ok' })).toBe(5);
    // Temporal's own worker metrics, from the same endpoint.
    expect(text).toMatch(/^temporal_workflow_completed_total\{/m);
    expect(text).toMatch(/^temporal_activity_execution_latency\w*_bucket\{/m);
    // Bounded labels only: principals (those of api.tokens) label the limit metrics and nothing else.
    const limitMetrics = /^toolgate_api_(throttled_total|rounds_refused_total|tokens_remaining)\{/;
    const otherApiLines = apiText
      .split('\n')
      .filter((line) => !limitMetrics.test(line))
      .join('\n');
    for (const unbounded of [approved, expired, waiting, argument, 'carol', 'alice']) {
      expect(text).not.toContain(unbounded);
      expect(otherApiLines).not.toContain(unbounded);
    }
    for (const id of [approved, expired, waiting, argument]) expect(apiText).not.toContain(id);
  });
});

// Reminders and escalation through the API, the CLI and the audit trail: the approval shows the steps taken and the
// next one planned, an escalated approver finds it in their list and decides it over HTTP once (and only once) it
// is escalated to them, and the audit entry keeps every step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { TOKENS, startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import type { AuditEntry } from '../../runtime/audit.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { TOOLGATE_URL: _url, TOOLGATE_TOKEN: _token, ...env } = process.env;
  const child = spawn(process.execPath, ['cli/main.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('reminders and escalation through the API', () => {
  let temporal: DevServer;
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const as = (person: Person) => ['--url', api.url, '--token', TOKENS[person]];

  beforeAll(async () => {
    // A server of its own: the audit lists whole namespaces.
    temporal = await startDevServer({ ui: false });
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      temporalAddress: temporal.address,
      approvals: { approvers: ['alice'], groups: { dba: ['adam'] } },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          approvalTimeout: '20s',
          remind: { at: '10%' },
          escalate: { at: '25%', to: 'dba' },
        },
      ],
    });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
    await temporal?.stop();
  });

  it('shows the steps, lists and accepts the escalated approver only after the escalation, and audits each step', async () => {
    harness.routes['api-remind'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'api-remind' } }] },
      { content: 'deleted' },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: 'api-remind' });
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    let listed: Array<{ approvalId: string; argsDigest: string; reminders?: unknown }> = [];
    await expect
      .poll(async () => (listed = (await api.request('alice', 'GET', '/v1/approvals')).body.approvals), {
        timeout: 20_000,
      })
      .toHaveLength(1);
    const { approvalId, argsDigest } = listed[0]!;
    expect(listed[0]!.reminders).toMatchObject({ steps: [], next: { kind: 'reminder' } });
    const post = (person: Person) =>
      api.request(person, 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest });

    // Before the escalation adam may neither decide nor find it.
    expect(await post('adam')).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });
    expect((await api.request('adam', 'GET', '/v1/approvals?mine=decide')).body.approvals).toHaveLength(0);

    await expect
      .poll(
        async () =>
          (await api.request('adam', 'GET', '/v1/approvals?mine=decide')).body.approvals.map(
            (approval: { approvalId: string }) => approval.approvalId,
          ),
        { timeout: 20_000, interval: 250 },
      )
      .toEqual([approvalId]);
    const view = await api.request('adam', 'GET', `/v1/approvals/${approvalId}`);
    expect(view.status).toBe(200);
    expect(view.body.approvers).toEqual(['alice', 'adam']);
    expect(view.body.reminders.steps).toMatchObject([
      { kind: 'reminder' },
      { kind: 'escalation', group: 'dba', to: ['adam'] },
    ]);
    expect(view.body.reminders.next).toBeUndefined();
    expect(await post('mallory')).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });

    // The CLI shows the steps before it decides, over HTTP, as the escalated approver.
    const approved = await cli(['approve', approvalId, '--yes', ...as('adam')]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/Reminded at \S+Z/);
    expect(approved.stdout).toMatch(/Escalated to dba \(adam\) at \S+Z/);
    expect(approved.stdout).toMatch(new RegExp(`${approvalId}: approved by adam \\(cli\\)`));
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);

    const audit = await api.request('carol', 'GET', '/v1/audit');
    const entry = (audit.body.entries as AuditEntry[]).find((candidate) => candidate.approvalId === approvalId)!;
    expect(entry).toMatchObject({ outcome: 'approved', decision: { approver: { id: 'adam' } } });
    expect(entry.approvers).toEqual(['alice', 'adam']);
    expect(entry.reminders).toMatchObject([{ kind: 'reminder' }, { kind: 'escalation', to: ['adam'] }]);

    const document = (await api.request(undefined, 'GET', '/openapi.json')).body as object;
    expect(JSON.stringify(document).includes('"reminders":{"type":"object"'), 'OpenAPI shows reminders').toBe(true);
  });
});

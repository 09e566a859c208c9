// Quorum approvals through the API, the CLI and the audit trail: what is still needed is shown, a decision that
// cannot count is refused with its reason, and every counted decision is in the audit entry, signed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { TOKENS, startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY } from '../../testkit/signing.ts';
import { verifyAuditExport, type AuditEntry } from '../../runtime/audit.ts';

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

describe('quorum approvals through the API', () => {
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
      approvals: { approvers: ['alice'], groups: { oncall: ['alice', 'bob', 'mallory'], dba: ['adam'] } },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          quorum: [
            { group: 'oncall', count: 2 },
            { group: 'dba', count: 1 },
          ],
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

  it('shows what is still needed, refuses what cannot count and audits every counted decision', async () => {
    harness.routes['api-quorum'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'api-quorum' } }] },
      { content: 'deleted' },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: 'api-quorum' });
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    let listed: Array<{ approvalId: string; argsDigest: string; quorum?: unknown }> = [];
    await expect
      .poll(async () => (listed = (await api.request('alice', 'GET', '/v1/approvals')).body.approvals), {
        timeout: 20_000,
      })
      .toHaveLength(1);
    const { approvalId, argsDigest } = listed[0]!;
    expect(listed[0]!.quorum).toMatchObject({
      needed: [
        { group: 'oncall', count: 2 },
        { group: 'dba', count: 1 },
      ],
      decided: [],
    });

    const first = await cli(['approve', approvalId, '--yes', ...as('alice')]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /approve counted, still pending by alice \(cli\); quorum 2 of oncall and 1 of dba; decided: alice approved \(oncall\); still needed: 1 of oncall and 1 of dba/,
    );
    const post = (person: Person) =>
      api.request(person, 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest });
    expect(await post('alice')).toMatchObject({ status: 409, body: { error: { code: 'already_decided' } } });
    expect(await post('carol')).toMatchObject({ status: 403, body: { error: { code: 'not_an_approver' } } });
    expect((await post('bob')).body).toMatchObject({
      status: 'pending',
      applied: true,
      quorum: { needed: [{ group: 'dba', count: 1 }] },
    });
    expect(await post('mallory')).toMatchObject({ status: 409, body: { error: { code: 'decision_not_needed' } } });
    const view = await api.request('carol', 'GET', `/v1/approvals/${approvalId}`);
    expect(view.body.decisions.map((decision: { approver: { id: string } }) => decision.approver.id)).toEqual([
      'alice',
      'bob',
    ]);
    expect((await post('adam')).body).toMatchObject({ status: 'approved', applied: true });
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);

    const audit = await api.request('carol', 'GET', '/v1/audit');
    const entry = (audit.body.entries as AuditEntry[]).find((candidate) => candidate.approvalId === approvalId)!;
    expect(entry).toMatchObject({
      outcome: 'approved',
      decision: { approver: { id: 'adam' } },
      quorum: {
        rejectWith: 'first',
        requirements: [
          { group: 'oncall', count: 2 },
          { group: 'dba', count: 1 },
        ],
      },
    });
    expect(entry.decisions!.map((decision) => `${decision.approver.id}/${decision.approver.channel}`)).toEqual([
      'alice/cli',
      'bob/http',
      'adam/http',
    ]);
    const ndjson = (audit.body.entries as AuditEntry[]).map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(ndjson, [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }])).toMatchObject({
      ok: true,
      signatures: 3,
    });

    const document = (await api.request(undefined, 'GET', '/openapi.json')).body as object;
    expect(JSON.stringify(document).includes('"quorum":{"type":"object"'), 'OpenAPI shows quorum').toBe(true);
  });
});

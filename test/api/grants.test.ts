// Remembered grants through the API: a decision with `remember` (signed with it), GET /v1/grants for the
// requester, auditors and admins only, DELETE /v1/grants/{id} for the requester, the approver who made it and
// admins (404 to anyone else), the per-requester bound (429) and tools whose policy forbids grants (403).
import { grantsWorkflowId } from '../../workflows/contract/grant-ids.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY } from '../../testkit/signing.ts';
import { verifyAuditExport, type AuditEntry } from '../../runtime/audit.ts';
import type { Grant } from '../../workflows/contract.ts';

describe('remembered grants through the API', () => {
  let temporal: DevServer;
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  let rounds = 0;

  beforeAll(async () => {
    // A server of its own: grants are per requester, and carol requests rounds in other test files too.
    temporal = await startDevServer({ ui: false });
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      temporalAddress: temporal.address,
      approvals: { approvers: ['alice', 'bob'], grants: { maxTtl: '2h', perRequester: 2 } },
      servers: [
        { name: 'k8s', transport: 'http', url: mcp.url, trusted: true, tools: { scale_deployment: { grants: false } } },
      ],
    });
    api = await startApi(harness, { roles: { admin: ['adam'], auditor: ['audrey'] } });
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
    await temporal?.stop();
  });

  /** Starts carol's round calling `tool`; returns its round id and its approval (once open), or none. */
  async function round(tool: string, args: Record<string, unknown>) {
    const marker = `api-grant-${++rounds}`;
    harness.routes[marker] = scriptedSteps({ toolCalls: [{ name: tool, arguments: args }] }, { content: 'done' });
    const roundId = (await api.request('carol', 'POST', '/v1/rounds', { query: marker })).body.roundId as string;
    harness.roundIds.push(roundId);
    return roundId;
  }

  async function pendingApproval(
    roundId: string,
  ): Promise<{ approvalId: string; argsDigest: string; rememberable?: boolean }> {
    let approval: { approvalId: string; argsDigest: string } | undefined;
    await expect
      .poll(
        async () =>
          (approval = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.approvals?.find(
            (candidate: { status: string }) => candidate.status === 'pending',
          )),
        { timeout: 20_000 },
      )
      .toBeDefined();
    return (await api.request('carol', 'GET', `/v1/approvals/${approval!.approvalId}`)).body;
  }

  const completed = (roundId: string) =>
    expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');

  const decide = (person: Person, approval: { approvalId: string; argsDigest: string }, extra: object = {}) =>
    api.request(person, 'POST', `/v1/approvals/${approval.approvalId}`, {
      decision: 'approve',
      argsDigest: approval.argsDigest,
      ...extra,
    });

  it('remembers, lists, approves under the grant, audits it, bounds it and revokes it as allowed', async () => {
    const first = await round('delete_pod', { namespace: 'dev', name: 'one' });
    const approval = await pendingApproval(first);
    expect(approval.rememberable).toBe(true);
    expect(await decide('alice', approval, { decision: 'reject', remember: { ttl: '1h' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
    expect(await decide('alice', approval, { remember: { ttl: 'forever' } })).toMatchObject({ status: 400 });
    // A grant would cover the model's arguments as made, which an approval with changes did not approve.
    const changed = { namespace: 'dev', name: 'other' };
    expect(await decide('alice', approval, { arguments: changed, remember: { ttl: '1h' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', message: expect.stringContaining('cannot be remembered') } },
    });
    const decided = await decide('alice', approval, { remember: { ttl: '8h', pattern: { namespace: 'dev' } } });
    expect(decided).toMatchObject({ status: 202, body: { status: 'approved', applied: true } });
    await completed(first);

    let grants: Grant[] = [];
    await expect
      .poll(async () => (grants = (await api.request('carol', 'GET', '/v1/grants')).body.grants), { timeout: 10_000 })
      .toHaveLength(1);
    const grant = grants[0]!;
    expect(grant).toMatchObject({
      requester: 'carol',
      server: 'k8s',
      tool: 'delete_pod',
      pattern: { namespace: 'dev' },
      createdBy: { id: 'alice', channel: 'http' },
      fromApproval: approval.approvalId,
    });
    // Capped by approvals.grants.maxTtl (2h), not the 8h asked for.
    expect(Date.parse(grant.expiresAt) - Date.parse(grant.proof.receivedAt!)).toBe(2 * 3_600_000);
    expect((await api.request('alice', 'GET', '/v1/grants')).body).toEqual({ requester: 'alice', grants: [] });
    expect(await api.request('mallory', 'GET', '/v1/grants?requester=carol')).toMatchObject({
      status: 403,
      body: { error: { code: 'not_allowed' } },
    });
    expect((await api.request('audrey', 'GET', '/v1/grants?requester=carol')).body.grants).toHaveLength(1);

    // A later call it covers runs without anyone; the approval says by which grant, and the audit shows it.
    const covered = await round('delete_pod', { namespace: 'dev', name: 'two' });
    await completed(covered);
    const granted = (await api.request('carol', 'GET', `/v1/rounds/${covered}`)).body.approvals[0];
    expect(granted).toMatchObject({
      status: 'approved',
      decision: {
        approver: { id: `grant:${grant.grantId}`, channel: 'grant' },
        reason: `approved by grant ${grant.grantId} (from alice's decision of ${approval.approvalId})`,
        grant: {
          grantId: grant.grantId,
          grantedBy: { id: 'alice', channel: 'http' },
          fromApproval: approval.approvalId,
        },
      },
    });
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(2);
    const audit = (await api.request('carol', 'GET', '/v1/audit')).body.entries as AuditEntry[];
    expect(audit.find((entry) => entry.approvalId === approval.approvalId)).toMatchObject({
      outcome: 'approved',
      decision: { approver: { id: 'alice' }, remember: { ttlMs: 2 * 3_600_000, pattern: { namespace: 'dev' } } },
      grantCreated: grant.grantId,
    });
    expect(audit.find((entry) => entry.approvalId === granted.approvalId)).toMatchObject({
      outcome: 'approved',
      decision: { approver: { id: `grant:${grant.grantId}`, channel: 'grant' } },
      grant: { grantId: grant.grantId, fromApproval: approval.approvalId },
    });
    const ndjson = audit.map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(ndjson, [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }])).toMatchObject({ ok: true });

    // A tool whose policy forbids grants: refused before it reaches the round.
    const scaled = await round('scale_deployment', { namespace: 'dev', name: 'web', replicas: 1 });
    const scaleApproval = await pendingApproval(scaled);
    expect(scaleApproval.rememberable).toBeUndefined();
    expect(await decide('alice', scaleApproval, { remember: { ttl: '1h' } })).toMatchObject({
      status: 403,
      body: { error: { code: 'grant_not_allowed' } },
    });
    await decide('alice', scaleApproval);
    await completed(scaled);

    // Two live grants at most (perRequester: 2): the third remember is refused with 429.
    const second = await round('delete_pod', { namespace: 'prod', name: 'three' });
    await decide('bob', await pendingApproval(second), { remember: { ttl: 3_600_000 } });
    await completed(second);
    await expect
      .poll(async () => (await api.request('carol', 'GET', '/v1/grants')).body.grants.length, { timeout: 10_000 })
      .toBe(2);
    const third = await round('delete_pod', { namespace: 'prod', name: 'four' });
    const thirdApproval = await pendingApproval(third);
    expect(await decide('alice', thirdApproval, { remember: { ttl: '1h' } })).toMatchObject({
      status: 429,
      body: { error: { code: 'grant_limit' } },
    });
    await decide('alice', thirdApproval);
    await completed(third);

    // Revoke: not for mallory nor bob (who did not make it); alice made it; then it is gone.
    const path = `/v1/grants/${grant.grantId}`;
    expect(await api.request('mallory', 'DELETE', path)).toMatchObject({ status: 404 });
    expect(await api.request('bob', 'DELETE', path)).toMatchObject({ status: 404 });
    expect(await api.request('audrey', 'DELETE', path)).toMatchObject({ status: 404 });
    expect(await api.request('alice', 'DELETE', path)).toMatchObject({
      status: 200,
      body: { revoked: true, grant: { grantId: grant.grantId } },
    });
    expect(await api.request('carol', 'DELETE', path)).toMatchObject({
      status: 404,
      body: { error: { code: 'grant_not_found' } },
    });
    const other = (await api.request('carol', 'GET', '/v1/grants')).body.grants as Grant[];
    expect(other).toHaveLength(1);
    expect(await api.request('adam', 'DELETE', `/v1/grants/${other[0]!.grantId}`)).toMatchObject({ status: 200 });
    expect(await api.request('carol', 'DELETE', '/v1/grants/not-a-grant')).toMatchObject({ status: 400 });

    const document = JSON.stringify((await api.request(undefined, 'GET', '/openapi.json')).body);
    const paths = JSON.parse(document).paths;
    expect(Object.keys(paths['/v1/grants'].get.responses).sort()).toEqual(['200', '400', '401', '403', '429', '503']);
    expect(Object.keys(paths['/v1/grants/{grantId}'].delete.responses).sort()).toEqual([
      '200',
      '401',
      '404',
      '429',
      '503',
    ]);
    expect(document.includes('"remember"'), 'OpenAPI shows remember').toBe(true);
    const metrics = (await api.request(undefined, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/toolgate_api_grant_requests_total\{result="grant_limit"\} 1/);
    expect(metrics).toMatch(/toolgate_api_grant_requests_total\{result="revoked"\} 2/);

    // A grants workflow an operator terminated holds nothing live, and is not asked (no worker may be left for it).
    await harness.client.workflow.getHandle(grantsWorkflowId('carol')).terminate('the test ends');
    await harness.stopWorker();
    expect(await api.request('carol', 'GET', '/v1/grants')).toMatchObject({
      status: 200,
      body: { requester: 'carol', grants: [] },
    });
  });
});

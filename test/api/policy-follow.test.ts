// A pending approval re-addressed by a configuration change, through the API: listed for the new approver and
// no longer for the old one, decided by the new one only, its policy trail shown and in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { changedConfig, restartWithConfig } from '../support/config-change.ts';
import { configFingerprint } from '../../runtime/config-fingerprint.ts';
import type { AuditEntry } from '../../runtime/audit.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

describe('pending approvals follow policy through the API', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const servers = (approvers: string[]) => [
    { name: 'k8s', transport: 'http', url: mcp.url, trusted: true, approval: 'always', approvers },
  ];

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ approvals: { approvers: ['alice'] }, servers: servers(['alice']) });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('lists the re-addressed approval for the new approver only, and audits both configurations', async () => {
    const startedOn = configFingerprint(harness.config);
    harness.routes['api-follow'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'api-follow' } }] },
      { content: 'deleted' },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: 'api-follow' });
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    const decidable = async (person: 'alice' | 'bob') =>
      (
        (await api.request(person, 'GET', '/v1/approvals?mine=decide')).body.approvals as Array<{
          roundId: string;
          approvalId: string;
          argsDigest: string;
          policy?: { recheckedOn?: string };
        }>
      ).filter((approval) => approval.roundId === roundId);
    await expect.poll(() => decidable('alice'), { timeout: 20_000 }).toHaveLength(1);
    expect(await decidable('bob')).toHaveLength(0);

    const b = changedConfig(harness, servers(['bob']), { releaseWhenLoosened: false });
    const recheckedOn = configFingerprint(b);
    expect(await restartWithConfig(harness, b)).toMatchObject({ signalled: 1 });
    await expect
      .poll(async () => (await decidable('bob'))[0]?.policy?.recheckedOn, { timeout: 20_000 })
      .toBe(recheckedOn);
    expect(await decidable('alice')).toHaveLength(0);

    const { approvalId, argsDigest } = (await decidable('bob'))[0]!;
    const view = await api.request('bob', 'GET', `/v1/approvals/${approvalId}`);
    expect(view.body).toMatchObject({
      status: 'pending',
      approvers: ['bob'],
      policy: { startedOn, recheckedOn, outcome: 'readdressed' },
    });
    const post = (person: 'alice' | 'bob') =>
      api.request(person, 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest });
    expect((await post('alice')).status).toBe(403);
    expect((await post('bob')).body).toMatchObject({ status: 'approved', applied: true });
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');

    const audit = await api.request('carol', 'GET', `/v1/audit?requester=carol`);
    const entry = (audit.body.entries as AuditEntry[]).find((candidate) => candidate.approvalId === approvalId)!;
    expect(entry).toMatchObject({
      outcome: 'approved',
      approvers: ['bob'],
      decision: { approver: { id: 'bob' } },
      policy: { startedOn, recheckedOn, outcome: 'readdressed' },
    });
  });
});

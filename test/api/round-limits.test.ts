// Rounds and pending approvals per principal, counted from Temporal visibility: over a limit POST /v1/rounds
// answers 429 with Retry-After and what is open, while other principals still start rounds; GET /v1/quota
// shows the same counts to the principal itself, and to auditors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../runtime/config.ts';
import { startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

describe('round and pending-approval limits', () => {
  let stack: K8sApi;
  /** roundsPerPrincipal 2, pendingApprovalsPerPrincipal 3. */
  let api: ApiHarness;

  async function apiWith(limits: Partial<LimitsConfig>): Promise<ApiHarness> {
    const { harness } = stack;
    return startApi(
      { client: harness.client, config: { ...harness.config, limits: { ...harness.config.limits, ...limits } } },
      { roles: { auditor: ['audrey'] } },
    );
  }

  /** A round of `person` that opens one approval per pod and waits for them. */
  async function waitingRound(person: Person, marker: string, pods = 1, extra: Record<string, unknown> = {}) {
    stack.harness.routes[marker] = scriptedSteps(
      {
        toolCalls: Array.from({ length: pods }, (_, index) => ({
          name: 'delete_pod',
          arguments: { namespace: 'dev', name: `${marker}-${index}` },
        })),
      },
      { content: `done ${marker}` },
    );
    const response = await api.request(person, 'POST', '/v1/rounds', { query: marker, ...extra });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    stack.harness.roundIds.push(response.body.roundId);
    return response.body.roundId as string;
  }

  /** GET /v1/quota of `person` once visibility shows what `ready` waits for. */
  async function quotaOnce(person: Person, ready: (body: any) => boolean) {
    let body: any;
    await expect
      .poll(async () => ready((body = (await api.request(person, 'GET', '/v1/quota')).body)), { timeout: 20_000 })
      .toBe(true);
    return body;
  }

  beforeAll(async () => {
    stack = await startK8sApi({ approvers: ['alice', 'bob'] });
    api = await apiWith({ roundsPerPrincipal: 2, pendingApprovalsPerPrincipal: 3 });
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all(
      (stack?.harness.roundIds ?? []).map((id) =>
        stack.harness.client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => {}),
      ),
    );
    await stack?.close();
  });

  it('refuses a principal over its round limit with 429 naming its open rounds, while another principal still starts rounds', async () => {
    const first = await waitingRound('carol', 'rl-first', 1, { idempotencyKey: 'rl-key' });
    const second = await waitingRound('carol', 'rl-second');
    await quotaOnce('carol', (body) => body.rounds.running === 2);

    const refused = await api.request('carol', 'POST', '/v1/rounds', { query: 'rl-third' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error).toMatchObject({ code: 'round_limit', limit: 2, running: 2 });
    expect([...refused.body.error.roundIds].sort()).toEqual([first, second].sort());

    // A retry of a start that happened is still answered as before, not refused.
    const retry = await api.request('carol', 'POST', '/v1/rounds', { query: 'rl-first', idempotencyKey: 'rl-key' });
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ roundId: first, created: false });

    const other = await waitingRound('bob', 'rl-bob');
    expect(other).toMatch(/^round-/);

    const metrics = (await api.request(undefined, 'GET', '/metrics')).body as string;
    expect(metrics).toContain('toolgate_api_rounds_refused_total{reason="rounds",principal="carol"} 1');

    // limits.enabled: false lets the same principal start more.
    const unlimited = await apiWith({ enabled: false, roundsPerPrincipal: 2, pendingApprovalsPerPrincipal: 3 });
    try {
      stack.harness.routes['rl-off'] = scriptedSteps({ content: 'off' });
      const started = await unlimited.request('carol', 'POST', '/v1/rounds', { query: 'rl-off' });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      stack.harness.roundIds.push(started.body.roundId);
      const quota = (await unlimited.request('carol', 'GET', '/v1/quota')).body;
      expect(quota).toMatchObject({ principal: 'carol', limitsEnabled: false, rounds: { limit: 2 } });
    } finally {
      await unlimited.close();
    }
  });

  it('refuses a principal whose rounds wait for as many approvals as its limit', async () => {
    const roundId = await waitingRound('mallory', 'pl-three', 3);
    const quota = await quotaOnce('mallory', (body) => body.pendingApprovals.pending === 3);
    expect(quota).toMatchObject({ rounds: { running: 1, limit: 2 }, pendingApprovals: { pending: 3, limit: 3 } });

    const refused = await api.request('mallory', 'POST', '/v1/rounds', { query: 'pl-more' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error).toMatchObject({ code: 'pending_approval_limit', limit: 3, pending: 3 });
    expect(refused.body.error.approvalIds).toHaveLength(3);
    for (const approvalId of refused.body.error.approvalIds) expect(approvalId).toContain(roundId);
  });

  it('shows a principal its own quota, and another principal only to auditors', async () => {
    const own = (await api.request('bob', 'GET', '/v1/quota')).body;
    expect(own).toMatchObject({
      principal: 'bob',
      limitsEnabled: true,
      tokens: { period: 'day', limit: 1_000_000 },
      rounds: { limit: 2 },
      pendingApprovals: { limit: 3 },
    });
    expect(Date.parse(own.tokens.resetsAt)).toBeGreaterThan(Date.now());

    const peek = await api.request('bob', 'GET', '/v1/quota?principal=carol');
    expect(peek.status).toBe(403);
    expect(JSON.stringify(peek.body)).not.toContain('running');

    const audited = await api.request('audrey', 'GET', '/v1/quota?principal=carol');
    expect(audited.status).toBe(200);
    expect(audited.body).toMatchObject({ principal: 'carol', rounds: { limit: 2 } });
    expect(audited.body.rounds.running).toBeGreaterThanOrEqual(2);

    expect((await api.request(undefined, 'GET', '/v1/quota')).status).toBe(401);
  });
});

// Who may see and touch what: a round belongs to its requester; approvers read the approvals they may decide;
// auditors read everything; admins also cancel; everyone else is told it does not exist. Decisions are checked
// before anything is queued.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalSummary } from '../../workflows/contract.ts';
import { startApi, TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const EventType = temporal.api.enums.v1.EventType;
const SECRET = 'sekret-0123456789';

describe('authorization', () => {
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;

  beforeAll(async () => {
    stack = await startK8sApi({
      approvers: ['alice', 'bob'],
      tools: { scale_deployment: { approvers: ['bob'], approvalTimeout: '3s' }, delete_pod: { redact: ['token'] } },
      api: { roles: { auditor: ['audrey'], admin: ['adam'], metrics: ['prom'] } },
    });
    ({ harness, api } = stack);
  });

  afterAll(() => stack?.close());

  /** A round of `person` waiting for approval of one delete_pod call whose arguments carry a secret. */
  async function gatedRound(person: Person, marker: string): Promise<{ roundId: string; approval: ApprovalSummary }> {
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: marker, token: SECRET } }] },
      { content: `done ${marker}` },
    );
    const started = await api.request(person, 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    await expect
      .poll(async () => (await api.request(person, 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 15_000 })
      .toBe('waiting_approval');
    const state = await api.request(person, 'GET', `/v1/rounds/${roundId}`);
    return { roundId, approval: state.body.approvals[0] };
  }

  const status = async (person: Person, method: string, path: string, body?: unknown) =>
    (await api.request(person, method, path, body)).status;

  it('lets the requester, its approvers, auditors and admins read a round; everyone else gets 404', async () => {
    const { roundId } = await gatedRound('carol', 'z-read');
    for (const person of ['carol', 'alice', 'bob', 'audrey', 'adam'] as const) {
      const read = await api.request(person, 'GET', `/v1/rounds/${roundId}`);
      expect(read.status, person).toBe(200);
      expect(read.body.scope, person).toBe(['alice', 'bob'].includes(person) ? 'approvals' : undefined);
    }
    const hidden = await api.request('mallory', 'GET', `/v1/rounds/${roundId}`);
    const missing = await api.request('mallory', 'GET', '/v1/rounds/round-does-not-exist');
    expect(hidden).toMatchObject({ status: 404, body: { error: { code: 'round_not_found' } } });
    expect(hidden.body.error.message.replace(roundId, 'X')).toBe(
      missing.body.error.message.replace('round-does-not-exist', 'X'),
    );

    expect(await status('mallory', 'GET', `/v1/rounds/${roundId}/events`)).toBe(404);
    const stream = await fetch(`${api.url}/v1/rounds/${roundId}/events`, {
      headers: { authorization: `Bearer ${TOKENS.alice}` },
    });
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
  });

  it('lets only the requester and admins cancel; approvers and auditors get 403, others 404', async () => {
    const { roundId } = await gatedRound('carol', 'z-cancel');
    expect(await status('mallory', 'DELETE', `/v1/rounds/${roundId}`)).toBe(404);
    expect(await status('alice', 'DELETE', `/v1/rounds/${roundId}`)).toBe(403);
    expect(await status('audrey', 'DELETE', `/v1/rounds/${roundId}`)).toBe(403);
    expect(await status('adam', 'DELETE', `/v1/rounds/${roundId}`)).toBe(202);
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 10_000 })
      .toBe('cancelled');
  });

  it('continues a conversation only for its requester and admins', async () => {
    harness.routes['z-prev'] = scriptedSteps({ content: 'first answer' });
    const first = await api.request('carol', 'POST', '/v1/rounds', { query: 'z-prev' });
    harness.roundIds.push(first.body.roundId);
    await harness.client.workflow.getHandle(first.body.roundId).result();
    harness.routes['z-next'] = scriptedSteps({ content: 'second answer' });
    const stolen = await api.request('mallory', 'POST', '/v1/rounds', {
      query: 'z-next',
      previousRoundId: first.body.roundId,
    });
    expect(stolen).toMatchObject({ status: 404, body: { error: { code: 'round_not_found' } } });
    // An auditor reads the round, but continuing it would hand its transcript to a round of their own.
    const audited = await api.request('audrey', 'POST', '/v1/rounds', {
      query: 'z-next',
      previousRoundId: first.body.roundId,
    });
    expect(audited).toMatchObject({ status: 404, body: { error: { code: 'round_not_found' } } });
    const admin = await api.request('adam', 'POST', '/v1/rounds', {
      query: 'z-next',
      previousRoundId: first.body.roundId,
    });
    expect(admin.status).toBe(201);
    harness.roundIds.push(admin.body.roundId);
    const own = await api.request('carol', 'POST', '/v1/rounds', {
      query: 'z-next',
      previousRoundId: first.body.roundId,
    });
    expect(own.status).toBe(201);
    harness.roundIds.push(own.body.roundId);
  });

  it('lists only approvals the caller requested or may decide, with secrets redacted', async () => {
    const { approval } = await gatedRound('carol', 'z-list');
    const listed = async (person: Person, query = '') => {
      const page = await api.request(person, 'GET', `/v1/approvals${query}`);
      expect(page.status).toBe(200);
      return (page.body.approvals as ApprovalSummary[]).filter((entry) => entry.approvalId === approval.approvalId);
    };
    await expect.poll(async () => (await listed('carol')).length, { timeout: 15_000 }).toBe(1);
    const [summary] = await listed('alice');
    expect(summary!.argsPreview).toContain('[redacted: ');
    expect(summary!.argsPreview).not.toContain(SECRET);
    expect(await listed('mallory')).toHaveLength(0);
    expect(await listed('audrey')).toHaveLength(1);
    expect(await listed('carol', '?mine=requested')).toHaveLength(1);
    expect(await listed('carol', '?mine=decide')).toHaveLength(0);
    expect(await listed('alice', '?mine=decide')).toHaveLength(1);
    expect(await listed('alice', '?mine=requested')).toHaveLength(0);

    const one = await api.request('alice', 'GET', `/v1/approvals/${approval.approvalId}`);
    expect(one).toMatchObject({
      status: 200,
      body: { approvalId: approval.approvalId, status: 'pending', argsDigest: approval.argsDigest },
    });
    expect(JSON.stringify(one.body)).not.toContain(SECRET);
    expect(await status('mallory', 'GET', `/v1/approvals/${approval.approvalId}`)).toBe(404);
    expect(await status('carol', 'DELETE', `/v1/rounds/${approval.roundId}`)).toBe(202);
  });

  it('refuses a decision from a non-approver, a stale digest or an expired approval before anything is queued, with no worker running', async () => {
    const { roundId, approval } = await gatedRound('carol', 'z-noworker');
    harness.routes['z-expiring'] = scriptedSteps({
      toolCalls: [{ name: 'scale_deployment', arguments: { namespace: 'dev', name: 'z', replicas: 1 } }],
    });
    const expiring = await api.request('carol', 'POST', '/v1/rounds', { query: 'z-expiring' });
    harness.roundIds.push(expiring.body.roundId);
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${expiring.body.roundId}`)).body.status, {
        timeout: 15_000,
      })
      .toBe('waiting_approval');
    const expiringApproval = `${expiring.body.roundId}.1.0`;
    await harness.stopWorker();
    const slowApi = await startApi(harness, { workerWaitMs: 1500 });
    try {
      const path = `/v1/approvals/${approval.approvalId}`;
      const expiringDigest = (await slowApi.request('bob', 'GET', `/v1/approvals/${expiringApproval}`)).body
        .argsDigest as string;
      const started = Date.now();
      const argsDigest = approval.argsDigest;
      expect(await slowApi.request('mallory', 'POST', path, { decision: 'approve', argsDigest })).toMatchObject({
        status: 403,
        body: { error: { code: 'not_an_approver' } },
      });
      expect(await slowApi.request('carol', 'POST', path, { decision: 'approve', argsDigest })).toMatchObject({
        status: 403,
        body: { error: { code: 'not_an_approver' } },
      });
      expect(
        await slowApi.request('alice', 'POST', path, { decision: 'approve', argsDigest: '0'.repeat(64) }),
      ).toMatchObject({
        status: 422,
        body: { error: { code: 'digest_mismatch' } },
      });
      // bob is the only approver of scale_deployment; alice may not decide it.
      expect(
        await slowApi.request('alice', 'POST', `/v1/approvals/${expiringApproval}`, {
          decision: 'approve',
          argsDigest: expiringDigest,
        }),
      ).toMatchObject({ status: 403 });
      expect(Date.now() - started).toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 3500));
      expect(
        await slowApi.request('bob', 'POST', `/v1/approvals/${expiringApproval}`, {
          decision: 'approve',
          argsDigest: expiringDigest,
        }),
      ).toMatchObject({
        status: 409,
        body: { error: { code: 'approval_closed', status: 'expired' } },
      });
      const signals = ((await harness.client.workflow.getHandle(roundId).fetchHistory()).events ?? []).filter(
        (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      );
      expect(signals).toHaveLength(0);

      // Without a worker: an unknown round's events are a 404 at once; a known round's state is a 503 to retry.
      const unknown = await slowApi.request('alice', 'GET', '/v1/rounds/round-nowhere/events');
      expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'round_not_found' } } });
      const unavailable = await slowApi.request('carol', 'GET', `/v1/rounds/${roundId}`);
      expect(unavailable).toMatchObject({ status: 503, body: { error: { code: 'worker_unavailable' } } });
      expect(unavailable.headers.get('retry-after')).toBe('2');
    } finally {
      await slowApi.close();
      await harness.startWorker();
    }
    expect(await status('carol', 'DELETE', `/v1/rounds/${roundId}`)).toBe(202);
  });

  it('restricts /metrics when configured, and never exposes tokens or arguments there', async () => {
    const open = await api.request(undefined, 'GET', '/metrics');
    expect(open.status).toBe(200);
    for (const token of Object.values(TOKENS)) expect(open.body).not.toContain(token);
    expect(open.body).not.toContain(SECRET);
    expect(open.body).not.toMatch(/round-[0-9a-f-]{8,}/);

    const restricted = await startApi(harness, {
      publicMetrics: false,
      roles: { metrics: ['prom'], auditor: ['audrey'] },
    });
    try {
      expect((await restricted.request(undefined, 'GET', '/metrics')).status).toBe(401);
      expect((await restricted.request('carol', 'GET', '/metrics')).status).toBe(403);
      expect((await restricted.request('audrey', 'GET', '/metrics')).status).toBe(200);
      const scraped = await restricted.request('prom', 'GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.body).toContain('toolgate_api_request_duration_seconds');
    } finally {
      await restricted.close();
    }
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

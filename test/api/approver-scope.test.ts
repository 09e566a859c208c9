// An approver who is not the round's requester, an auditor or an admin reads the approvals they may decide and
// the round's query, never another call's output or arguments, nor the answer: those may come from the
// requester's own credential. Only the requester and admins continue a round (previousRoundId).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalResponse, ApproverRoundView } from '../../runtime/http-api.ts';
import type { RoundState } from '../../workflows/contract.ts';
import { TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

interface SseEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

describe('approver scope', () => {
  const query = `scope-${randomUUID()}`;
  /** In the read-only call's arguments and so in its output. */
  const output = `out-${randomUUID()}`;
  /** In the call only bob may decide. */
  const bobsCall = `bobs-${randomUUID()}`;
  const answer = `answer-${randomUUID()}`;
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;
  let roundId: string;
  let mine: ApprovalResponse;
  let bobs: ApprovalResponse;

  /** The round's events as `person` streams them, read until `until` holds for them or the stream ends. */
  async function events(
    person: Person,
    headers: Record<string, string> = {},
    until: (events: SseEvent[]) => boolean = () => false,
  ): Promise<{ text: string; events: SseEvent[] }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 15_000);
    const response = await fetch(`${api.url}/v1/rounds/${roundId}/events`, {
      headers: { authorization: `Bearer ${TOKENS[person]}`, ...headers },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const parsed: SseEvent[] = [];
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        parsed.splice(0, parsed.length, ...parse(text));
        if (until(parsed)) break;
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return { text, events: parsed };
  }

  function parse(text: string): SseEvent[] {
    return text
      .split('\n\n')
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const field = (name: string) =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))!
            .slice(name.length + 2);
        return {
          id: Number(field('id')),
          type: field('event'),
          data: JSON.parse(field('data')) as Record<string, unknown>,
        };
      });
  }

  const hidden = [output, bobsCall, answer];

  beforeAll(async () => {
    stack = await startK8sApi({
      approvers: ['alice', 'bob'],
      tools: { scale_deployment: { approvers: ['bob'] } },
      api: { roles: { auditor: ['audrey'], admin: ['adam'] } },
    });
    ({ harness, api } = stack);
    harness.routes[query] = scriptedSteps(
      {
        toolCalls: [
          { name: 'echo', arguments: { message: output } },
          { name: 'delete_pod', arguments: { namespace: 'dev', name: 'web-1' } },
          { name: 'scale_deployment', arguments: { namespace: 'dev', name: bobsCall, replicas: 2 } },
        ],
      },
      { content: answer },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query });
    expect(started.status).toBe(201);
    roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    // Both approvals open and the read-only call has answered: everything an approver must not see exists.
    let state: RoundState | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      state = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body as RoundState;
      const echoed = state.toolCalls?.some((call) => call.content.includes(output));
      if (state.approvals?.length === 2 && echoed) break;
      if (Date.now() > deadline) throw new Error(`round ${roundId} never opened its approvals`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const approval = (tool: string) => state.approvals.find((entry) => entry.tool === tool)!;
    mine = approval('delete_pod');
    bobs = approval('scale_deployment');
  });

  afterAll(() => stack?.close());

  it('shows an approver the query and the approvals they may decide, nothing else, while the round waits', async () => {
    const view = await api.request('alice', 'GET', `/v1/rounds/${roundId}`);
    expect(view.status).toBe(200);
    const body = view.body as ApproverRoundView;
    expect(body).toMatchObject({ roundId, scope: 'approvals', status: 'waiting_approval', query, requester: 'carol' });
    expect(body.approvals).toHaveLength(1);
    expect(body.approvals[0]).toMatchObject({
      approvalId: mine.approvalId,
      tool: 'delete_pod',
      server: 'k8s',
      argsDigest: mine.argsDigest,
      expiresAt: mine.expiresAt,
      status: 'pending',
    });
    expect(body.approvals[0]!.argsPreview).toContain('web-1');
    for (const secret of hidden) expect(JSON.stringify(body)).not.toContain(secret);
    expect(body).not.toHaveProperty('toolCalls');

    // bob decides both approvals: he sees both, and still no output.
    const bobsView = (await api.request('bob', 'GET', `/v1/rounds/${roundId}`)).body as ApproverRoundView;
    expect(bobsView.approvals.map((entry) => entry.tool).sort()).toEqual(['delete_pod', 'scale_deployment']);
    expect(JSON.stringify(bobsView)).not.toContain(output);

    expect((await api.request('alice', 'GET', `/v1/approvals/${bobs.approvalId}`)).status).toBe(404);
    await expect
      .poll(async () => JSON.stringify((await api.request('alice', 'GET', '/v1/approvals')).body), { timeout: 15_000 })
      .toContain(mine.approvalId);
    const listed = JSON.stringify((await api.request('alice', 'GET', '/v1/approvals')).body);
    for (const secret of hidden) expect(listed).not.toContain(secret);

    const stream = await events('alice', {}, (seen) => seen.some((event) => event.type === 'approval_required'));
    expect(stream.events.map((event) => event.type)).toEqual(['round_started', 'approval_required']);
    expect(stream.events[1]!.data).toMatchObject({ approval: { approvalId: mine.approvalId } });
    for (const secret of hidden) expect(stream.text).not.toContain(secret);
  });

  it('streams an approver the approvals they decide and the end of the round, never an output or the answer', async () => {
    for (const [person, approval] of [
      ['alice', mine],
      ['bob', bobs],
    ] as const) {
      const decided = await api.request(person, 'POST', `/v1/approvals/${approval.approvalId}`, {
        decision: 'approve',
        argsDigest: approval.argsDigest,
      });
      expect(decided.status, person).toBe(202);
    }
    await harness.client.workflow.getHandle(roundId).result();

    const whole = await events('alice');
    expect(whole.events.map((event) => event.type)).toEqual([
      'round_started',
      'approval_required',
      'approval_decided',
      'round_completed',
    ]);
    for (const secret of hidden) expect(whole.text).not.toContain(secret);
    // Resumed after both approvals opened: the stream learns from the round who decides which; bob's stays out.
    const opened = Math.max(
      ...(await events('carol')).events.filter((event) => event.type === 'approval_required').map((event) => event.id),
    );
    for (const headers of [{ 'last-event-id': String(opened) }, { 'last-event-id': '1' }]) {
      const resumed = await events('alice', headers);
      expect(resumed.events.map((event) => event.type)).toEqual(
        headers['last-event-id'] === '1'
          ? ['approval_required', 'approval_decided', 'round_completed']
          : ['approval_decided', 'round_completed'],
      );
      expect(resumed.events.find((event) => event.type === 'approval_decided')!.data).toMatchObject({
        approvalId: mine.approvalId,
        status: 'approved',
      });
      for (const secret of hidden) expect(resumed.text).not.toContain(secret);
    }

    const view = (await api.request('alice', 'GET', `/v1/rounds/${roundId}`)).body as ApproverRoundView;
    expect(view).toMatchObject({ scope: 'approvals', status: 'completed' });
    expect(view.approvals).toEqual([
      expect.objectContaining({ approvalId: mine.approvalId, status: 'approved', decision: expect.anything() }),
    ]);
    for (const secret of hidden) expect(JSON.stringify(view)).not.toContain(secret);

    // The requester, auditors and admins still read the whole round.
    for (const person of ['carol', 'audrey', 'adam'] as const) {
      const full = JSON.stringify((await api.request(person, 'GET', `/v1/rounds/${roundId}`)).body);
      for (const secret of hidden) expect(full, person).toContain(secret);
      expect((await events(person)).text, person).toContain(answer);
    }
  });

  it('describes the approver view in the OpenAPI document', async () => {
    const document = (await api.request(undefined, 'GET', '/openapi.json')).body as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    const answers = JSON.stringify(document.paths['/v1/rounds/{id}']!.get!.responses['200']);
    expect(answers).toContain('"scope"');
    expect(answers).toContain('"approvals"');
  });

  it('continues a round only for its requester and admins; approvers and auditors are told it does not exist', async () => {
    const continuing = (person: Person) =>
      api.request(person, 'POST', '/v1/rounds', { query: `${query} again`, previousRoundId: roundId });
    const missing = await api.request('alice', 'POST', '/v1/rounds', {
      query: `${query} again`,
      previousRoundId: 'round-never-was',
    });
    for (const person of ['alice', 'bob', 'audrey'] as const) {
      const refused = await continuing(person);
      expect(refused, person).toMatchObject({ status: 404, body: { error: { code: 'round_not_found' } } });
      expect(refused.body.error.message.replace(roundId, 'X')).toBe(
        missing.body.error.message.replace('round-never-was', 'X'),
      );
    }
    for (const person of ['carol', 'adam'] as const) {
      const started = await continuing(person);
      expect(started.status, person).toBe(201);
      harness.roundIds.push(started.body.roundId as string);
      await harness.client.workflow.getHandle(started.body.roundId as string).result();
    }
  });

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

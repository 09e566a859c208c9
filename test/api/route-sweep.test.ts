// One sweep over every route the API serves: the operations of its own /openapi.json (so a new route is swept
// without touching this file), the codec endpoint and the Slack route. Without a valid bearer token nothing but
// the public routes answers; another principal's requests about a round answer exactly as for a round that does
// not exist and carry not a byte of it; auditors and admins read, and only admins cancel.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCRYPTED_ENCODING } from '../../runtime/payload-codec.ts';
import { grantIdFor } from '../../runtime/grant-ids.ts';
import { APPROVE_ACTION } from '../../slack/actions.ts';
import { TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../testkit/fake-slack-api.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const EventType = temporal.api.enums.v1.EventType;
const SIGNING_SECRET = 'slack-signing-secret-for-the-sweep';
/** Served without a bearer token; every other route must refuse a request without one. */
const PUBLIC = new Set(['GET /healthz', 'GET /metrics', 'GET /openapi.json', 'OPTIONS /codec/decode']);
/** Routes kept out of the OpenAPI document, each swept here by hand. */
const UNDOCUMENTED = new Set(['GET /openapi.json', 'OPTIONS /codec/decode', 'POST /slack/events']);
/** The MCP gateway (docs/gateway.md): JSON-RPC, kept out of the document, authenticated by the bearer token. */
const GATEWAY = new Set(['POST /mcp', 'GET /mcp', 'DELETE /mcp']);
/** The console (/ui, docs/clients.md "Console"): HTML, kept out of the document, authenticated by its session. */
const CONSOLE = new Set([
  'GET /ui',
  'GET /ui/sign-in',
  'POST /ui/sign-in',
  'POST /ui/sign-out',
  'GET /ui/approvals',
  'GET /ui/approvals/stream',
  'GET /ui/approvals/{approvalId}',
  'POST /ui/approvals/{approvalId}/decision',
  'GET /ui/rounds',
  'GET /ui/rounds/{id}',
  'GET /ui/rounds/{id}/stream',
  'GET /ui/assets/{file}',
]);
const CONSOLE_PUBLIC = new Set(['GET /ui/sign-in', 'POST /ui/sign-in', 'GET /ui/assets/{file}']);
/** Documented answer for a principal who may not decide: 403 (docs/clients.md, Authorization). */
const DECIDE = 'POST /v1/approvals/{approvalId}';
/** Time an event stream is read before the sweep hangs up. */
const STREAM_READ_MS = 1500;

interface Operation {
  key: string;
  method: string;
  path: string;
}

/** What a request is about: a real round and approval, or ids of a round that never existed. */
interface Target {
  roundId: string;
  approvalId: string;
}

interface SweepRequest {
  label: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

type Credential = Person | { authorization?: string };

interface Answer {
  status: number;
  text: string;
}

describe('route sweep', () => {
  const queryText = `sweep-query-${randomUUID()}`;
  const argMarker = `sweep-arg-${randomUUID()}`;
  let stack: SealedStack;
  let slack: FakeSlackApi;
  let connection: NativeConnection;
  let client: Client;
  let api: ApiHarness;
  let round: Target;
  let digest: string;
  let sealed: Array<{ metadata: Record<string, string>; data: string }>;
  let operations: Operation[];

  /** A round of carol's waiting for approval of one delete_pod call; starts as carol through the API. */
  async function gatedRound(query: string, name: string): Promise<Target> {
    stack.routes[query] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name } }] },
      { content: `deleted ${name}` },
    );
    const started = await call('carol', 'POST', '/v1/rounds', { query });
    expect(started.status).toBe(201);
    const roundId = (JSON.parse(started.text) as { roundId: string }).roundId;
    // Polled by hand: beforeAll starts one, where expect.poll is not allowed.
    const deadline = Date.now() + 20_000;
    while (JSON.parse((await call('carol', 'GET', `/v1/rounds/${roundId}`)).text).status !== 'waiting_approval') {
      if (Date.now() > deadline) throw new Error(`round ${roundId} never waited for its approval`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { roundId, approvalId: `${roundId}.1.0` };
  }

  /** One request; a body that streams (events) is read for STREAM_READ_MS, then the request is dropped. */
  async function call(
    who: Credential | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const authorization =
      typeof who === 'string' ? `Bearer ${TOKENS[who]}` : who === undefined ? undefined : who.authorization;
    const controller = new AbortController();
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        ...(authorization === undefined ? {} : { authorization }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.body) return { status: response.status, text: '' };
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    const timer = setTimeout(() => controller.abort(), STREAM_READ_MS);
    let text = '';
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
    return { status: response.status, text };
  }

  /** The requests the sweep sends for an operation: every path parameter names the target. */
  function requestsFor(operation: Operation, target: Target): SweepRequest[] {
    const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      if (name === 'id') return target.roundId;
      if (name === 'approvalId') return target.approvalId;
      // The grant its approval would make: none exists, and to anyone else none may seem to.
      if (name === 'grantId') return grantIdFor('carol', target.approvalId);
      throw new Error(`the sweep does not know what {${name}} of ${operation.key} names: teach it`);
    });
    switch (operation.key) {
      case 'POST /v1/rounds':
        return [{ label: 'continuing it', path, body: { query: 'sweep-own', previousRoundId: target.roundId } }];
      case DECIDE:
        return [{ label: 'rejecting it', path, body: { decision: 'reject', reason: 'swept', argsDigest: digest } }];
      case 'POST /codec/decode':
        return [{ label: 'its sealed payloads', path, body: { payloads: sealed } }];
      case 'GET /v1/rounds/{id}/events':
        return [
          { label: 'from the start', path },
          { label: 'with Last-Event-ID', path, headers: { 'last-event-id': '1' } },
          { label: 'with ?lastEventId', path: `${path}?lastEventId=2` },
        ];
      case 'GET /v1/approvals':
        return [
          { label: 'all', path },
          { label: 'by requester', path: `${path}?requester=carol` },
          { label: 'requested by requester', path: `${path}?requester=carol&mine=requested` },
          { label: 'to decide', path: `${path}?mine=decide&tool=delete_pod` },
        ];
      default:
        return [{ label: 'plain', path, ...(['POST', 'PUT', 'PATCH'].includes(operation.method) ? { body: {} } : {}) }];
    }
  }

  /** The answer with the ids the caller sent masked, so answers about two rounds compare. */
  const masked = (answer: Answer, target: Target) => ({
    status: answer.status,
    text: answer.text.replaceAll(target.approvalId, '<approval>').replaceAll(target.roundId, '<round>'),
  });

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    stack = await startSealedStack({
      name: 'route-sweep',
      config: () => ({
        approvals: { approvers: ['alice', 'bob'] },
        signing: TEST_SIGNING,
        slack: {
          botToken: 'xoxb-sweep',
          signingSecret: SIGNING_SECRET,
          teamId: 'T1',
          appId: 'A1',
          channel: 'C_SWEEP',
          users: { U_MALLORY: 'mallory', U_ALICE: 'alice' },
          apiUrl: slack.apiUrl,
        },
        codec: { keys: [{ id: 'sweep', secret: randomBytes(32).toString('base64') }] },
      }),
      api: { roles: { auditor: ['audrey'], admin: ['adam'], metrics: ['prom'] } },
    });
    ({ api, client, connection } = stack);
    stack.routes['sweep-own'] = scriptedSteps({ content: 'swept' });

    round = await gatedRound(`please ${queryText}`, argMarker);
    digest = (
      JSON.parse((await call('carol', 'GET', `/v1/approvals/${round.approvalId}`)).text) as { argsDigest: string }
    ).argsDigest;
    // The round's payloads as Temporal stores them (read without the codec): what the Web UI sends to decode.
    const history = await new Client({ connection }).workflow.getHandle(round.roundId).fetchHistory();
    const payloads = (history.events ?? []).flatMap(
      (event) => event.workflowExecutionStartedEventAttributes?.input?.payloads ?? [],
    );
    sealed = payloads.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    }));
    expect(sealed.length).toBeGreaterThan(0);
    for (const payload of sealed)
      expect(Buffer.from(payload.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);

    const document = JSON.parse((await call(undefined, 'GET', '/openapi.json')).text) as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
      })),
    );
  });

  afterAll(async () => {
    // On the shared cluster (TOOLGATE_TEST_TEMPORAL=cluster) no sealed round may outlive the file.
    if (round)
      await client.workflow
        .getHandle(round.roundId)
        .terminate('route sweep done')
        .catch(() => undefined);
    await stack?.close();
    await slack?.close();
  });

  it('knows every route the server serves: the OpenAPI document and the few kept out of it', () => {
    // Fastify's route tree, one node a line, children indented four columns under their parent.
    const served = new Set<string>();
    const prefixes: string[] = [];
    for (const line of api.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!match) continue;
      const depth = match[1]!.length / 4;
      const path = (prefixes[depth] = `${prefixes[depth - 1] ?? ''}${match[2]!}`).replace(/:(\w+)/g, '{$1}');
      for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') served.add(`${method} ${path}`);
    }
    const documented = operations.map((operation) => operation.key);
    expect(documented).toEqual(expect.arrayContaining(['POST /codec/decode', DECIDE, 'GET /v1/rounds/{id}/events']));
    expect([...served].sort()).toEqual([...new Set([...documented, ...UNDOCUMENTED, ...CONSOLE, ...GATEWAY])].sort());
  });

  it('sends every console route but sign-in and its assets to sign in without a session, bearer token or not', async () => {
    for (const key of CONSOLE) {
      if (CONSOLE_PUBLIC.has(key)) continue;
      const [method, template] = key.split(' ') as [string, string];
      const path = template.replace('{id}', round.roundId).replace('{approvalId}', round.approvalId);
      for (const authorization of [undefined, `Bearer ${TOKENS.alice}`]) {
        const response = await fetch(`${api.url}${path}`, {
          method,
          redirect: 'manual',
          headers: authorization ? { authorization } : {},
        });
        expect({ key, status: response.status, location: response.headers.get('location') }).toEqual({
          key,
          status: 303,
          location: '/ui/sign-in',
        });
        expect(await response.text()).not.toContain(round.roundId);
      }
    }
  });

  it('answers 401 to a missing, garbage or malformed token on every route but the public ones', async () => {
    const credentials: Array<Credential | undefined> = [
      undefined,
      { authorization: 'Bearer garbage-token-0123456789' },
      { authorization: `Basic ${TOKENS.alice}` },
      { authorization: `Bearer ${TOKENS.alice} extra` },
      { authorization: `Bearer ${TOKENS.alice.slice(0, -1)}` },
      { authorization: 'Bearer ' },
    ];
    for (const operation of operations) {
      for (const request of requestsFor(operation, round)) {
        for (const credential of credentials) {
          const where = `${operation.key} ${request.label} as ${JSON.stringify(credential)}`;
          const answer = await call(credential, operation.method, request.path, request.body, request.headers);
          if (PUBLIC.has(operation.key)) {
            expect(answer.status, where).toBe(200);
          } else {
            expect(answer.status, where).toBe(401);
            expect(JSON.parse(answer.text), where).toMatchObject({ error: { code: 'unauthorized' } });
          }
          for (const secret of [round.roundId, queryText, argMarker]) expect(answer.text, where).not.toContain(secret);
        }
      }
    }
    for (const key of GATEWAY) {
      const [method, path] = key.split(' ') as [string, string];
      const body = method === 'POST' ? { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} } : undefined;
      for (const credential of credentials) {
        const where = `${key} as ${JSON.stringify(credential)}`;
        const answer = await call(credential, method, path, body);
        expect(answer.status, where).toBe(401);
        expect(JSON.parse(answer.text), where).toMatchObject({ error: { code: 'unauthorized' } });
      }
    }
    // The undocumented public routes need no token, and say nothing of any round.
    expect((await call(undefined, 'GET', '/openapi.json')).status).toBe(200);
    const preflight = await call(undefined, 'OPTIONS', '/codec/decode', undefined, {
      origin: 'http://ui.test',
      'access-control-request-method': 'POST',
    });
    expect(preflight).toEqual({ status: 204, text: '' });
  });

  it("answers another principal's requests about a round exactly as about one that never existed", async () => {
    const never: Target = { roundId: `round-${randomUUID()}`, approvalId: '' };
    never.approvalId = `${never.roundId}.1.0`;
    for (const operation of operations) {
      const twins = requestsFor(operation, never);
      for (const [index, request] of requestsFor(operation, round).entries()) {
        const where = `${operation.key} ${request.label}`;
        const send = (target: SweepRequest) =>
          call('mallory', operation.method, target.path, target.body, target.headers);
        const answer = await send(request);
        const seen = masked(answer, round);
        const aboutTheRound = JSON.stringify(request).includes(round.roundId);
        // Only the ids the caller sent itself may come back.
        const secrets = [queryText, argMarker, digest, ...(aboutTheRound ? [] : ['<round>', '<approval>'])];
        for (const secret of secrets) expect(seen.text, where).not.toContain(secret);
        if (operation.key === DECIDE) {
          expect(answer.status, where).toBe(403);
        } else if (aboutTheRound) {
          expect(answer.status, where).toBeGreaterThanOrEqual(400);
          expect(seen, where).toEqual(masked(await send(twins[index]!), never));
        }
        if (operation.key === 'POST /codec/decode') {
          expect(JSON.parse(answer.text), where).toEqual({ payloads: sealed });
        }
      }
    }
  });

  it('lets requester, approvers, auditors and admins read it, approvers only their approvals; only the requester and admins cancel', async () => {
    const readers: Person[] = ['carol', 'alice', 'audrey', 'adam'];
    for (const person of readers) {
      /** An approver (alice) reads the approvals she may decide, and opens none of the round's payloads. */
      const whole = person !== 'alice';
      const read = async (path: string, headers?: Record<string, string>) => {
        const answer = await call(person, 'GET', path, undefined, headers);
        expect(answer.status, `${person} GET ${path}`).toBe(200);
        return answer.text;
      };
      const state = await read(`/v1/rounds/${round.roundId}`);
      expect(state).toContain(argMarker);
      expect(JSON.parse(state), person).toMatchObject(
        whole ? { toolCalls: expect.any(Array) } : { scope: 'approvals' },
      );
      expect(await read(`/v1/rounds/${round.roundId}/events`)).toContain(round.approvalId);
      expect(await read(`/v1/rounds/${round.roundId}/events`, { 'last-event-id': '1' })).toContain(round.approvalId);
      expect(await read(`/v1/approvals/${round.approvalId}`)).toContain(digest);
      await expect
        .poll(async () => await read('/v1/approvals?requester=carol'), { timeout: 15_000 })
        .toContain(round.approvalId);
      const opened = await call(person, 'POST', '/codec/decode', { payloads: sealed });
      expect(opened.status).toBe(200);
      if (!whole) {
        expect(JSON.parse(opened.text), person).toEqual({ payloads: sealed });
        continue;
      }
      const data = (JSON.parse(opened.text) as { payloads: Array<{ data: string }> }).payloads
        .map((payload) => Buffer.from(payload.data, 'base64').toString())
        .join();
      expect(data, person).toContain(queryText);
    }
    const decide = (person: Person) =>
      call(person, 'POST', `/v1/approvals/${round.approvalId}`, { decision: 'approve', argsDigest: digest });
    // Auditors and admins decide only as approvers; the requester not at all here (no self-approval).
    for (const person of ['audrey', 'adam', 'carol'] as const) expect((await decide(person)).status, person).toBe(403);
    for (const person of ['alice', 'audrey'] as const) {
      expect((await call(person, 'DELETE', `/v1/rounds/${round.roundId}`)).status, person).toBe(403);
    }

    const cancelled = await gatedRound(`cancel-${queryText}`, `cancel-${argMarker}`);
    expect((await call('adam', 'DELETE', `/v1/rounds/${cancelled.roundId}`)).status).toBe(202);
    await expect
      .poll(async () => JSON.parse((await call('carol', 'GET', `/v1/rounds/${cancelled.roundId}`)).text).status, {
        timeout: 15_000,
      })
      .toBe('cancelled');
  });

  it('answers unsigned, badly signed and stale Slack requests 401, and lets none of them reach the round', async () => {
    const button = { approvalId: round.approvalId, argsDigest: digest };
    const payload = {
      type: 'block_actions',
      team: { id: 'T1', domain: 'sweep' },
      user: { id: 'U_MALLORY', username: 'mallory', name: 'mallory', team_id: 'T1' },
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      trigger_id: 'trigger-sweep',
      response_url: slack.responseUrl('sweep'),
      container: { type: 'message', message_ts: '1.1', channel_id: 'C_SWEEP', is_ephemeral: false },
      channel: { id: 'C_SWEEP', name: 'approvals' },
      message: { type: 'message', ts: '1.1', text: 'card', blocks: [] },
      actions: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          block_id: 'toolgate_decision',
          value: JSON.stringify(button),
          text: { type: 'plain_text', text: 'Approve' },
          action_ts: String(Date.now() / 1000),
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const sign = (text: string, timestamp: number, secret = SIGNING_SECRET) =>
      `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${text}`).digest('hex')}`;
    const post = async (headers: Record<string, string>, text = body): Promise<Answer> => {
      const response = await fetch(`${api.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: text,
      });
      return { status: response.status, text: await response.text() };
    };
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      unsigned: await post({}),
      'no signature': await post({ 'x-slack-request-timestamp': String(now) }),
      'other secret': await post({
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': sign(body, now, 'not-the-signing-secret'),
      }),
      'zero signature': await post({
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': `v0=${'0'.repeat(64)}`,
      }),
      'garbled signature': await post({ 'x-slack-request-timestamp': String(now), 'x-slack-signature': 'v0=zz' }),
      'tampered body': await post(
        { 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign(body, now) },
        body.replace('U_MALLORY', 'U_ALICE'),
      ),
      'signed for another time': await post({
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': sign(body, now - 1),
      }),
      stale: await post({ 'x-slack-request-timestamp': String(now - 600), 'x-slack-signature': sign(body, now - 600) }),
      'bearer token instead': await post({ authorization: `Bearer ${TOKENS.alice}` }),
    };
    for (const [how, answer] of Object.entries(refused)) {
      expect(answer.status, how).toBe(401);
      for (const secret of [round.roundId, queryText, argMarker]) expect(answer.text, how).not.toContain(secret);
    }
    // Correctly signed, the same click is acknowledged, and refused as mallory's: nothing reaches the round.
    const signed = await post({ 'x-slack-request-timestamp': String(now), 'x-slack-signature': sign(body, now) });
    expect(signed.status).toBe(200);
    const reply = await slack.waitForCall('response_url', (entry) => entry.responseId === 'sweep');
    expect(JSON.stringify(reply.args)).toContain('not an approver');
    const history = await client.workflow.getHandle(round.roundId).fetchHistory();
    const decisions = (history.events ?? []).filter((event) =>
      [
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
      ].includes(event.eventType!),
    );
    expect(decisions).toEqual([]);
  });
});

// Requesters' own credentials toward an MCP server that enforces them (as a Kubernetes MCP server enforces the
// user's token): each call carries its requester's token, the token is never readable in the database, the
// API's answers or the codec endpoint, and a token that expires while an approval waits is refused.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import type { EncryptionCodec } from '../../runtime/payload-codec.ts';
import { TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import {
  decodedHistoryTexts,
  historyPayloads,
  toWire,
  wireText,
  type WirePayload,
} from '../support/history-payloads.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { readEvents } from '../../testkit/sse-client.ts';
import { filesContaining } from '../../testkit/temporal-store.ts';
import { lastToolMessages, messageText, type LlmScript } from '../../testkit/scripted-llm-server.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const KUBE_HEADER = 'X-Kube-Token';

/** An unsigned JWT: enough for toolgate, which reads `exp` only (the MCP server verifies tokens, not us). */
function jwt(subject: string, expiresInSeconds: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub: subject, exp: Math.floor(Date.now() / 1000) + expiresInSeconds })}.sig`;
}

/** Calls one tool, then answers with what the tool call returned, so the test sees what the model was told. */
function callThenReport(tool: string, args: Record<string, unknown>): LlmScript {
  return (request, index) =>
    index === 0
      ? { toolCalls: [{ name: tool, arguments: args }] }
      : { content: messageText(lastToolMessages(request)[0]) };
}

describe('per-user credentials toward MCP servers', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-credentials-'));
  const valid = new Set<string>();
  let stack: SealedStack;
  let routes: SealedStack['routes'];
  let mcp: HttpMcpServer;
  let connection: NativeConnection;
  let api: ApiHarness;
  let client: Client;
  let codec: EncryptionCodec;

  beforeAll(async () => {
    stack = await startSealedStack({
      name: 'credentials-test',
      folder,
      mcp: { authorize: (authorization) => authorization !== undefined && valid.has(authorization) },
      k8s: { userCredential: { fromHeader: KUBE_HEADER } },
      config: () => ({
        approvals: { approvers: ['alice'] },
        signing: TEST_SIGNING,
        codec: { keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }] },
      }),
    });
    ({ routes, mcp, connection, api, client, codec } = stack);
  });

  afterAll(() => stack?.close());

  async function start(person: Person, script: LlmScript, token?: string): Promise<string> {
    const marker = `q-${randomUUID()}`;
    routes[marker] = script;
    const headers: Record<string, string> = token === undefined ? {} : { [KUBE_HEADER]: token };
    const started = await api.request(person, 'POST', '/v1/rounds', { query: marker }, headers);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    return started.body.roundId as string;
  }

  const answerOf = (person: Person, roundId: string) =>
    expect.poll(async () => (await api.request(person, 'GET', `/v1/rounds/${roundId}`)).body.answer, {
      timeout: 20_000,
    });

  const historyOf = (roundId: string) => client.workflow.getHandle(roundId).fetchHistory();

  async function approveOnce(roundId: string): Promise<void> {
    let approval: { approvalId: string; argsDigest: string } | undefined;
    await expect
      .poll(
        async () => {
          const listed = await api.request('alice', 'GET', '/v1/approvals');
          approval = (listed.body.approvals ?? []).find((a: { roundId: string }) => a.roundId === roundId);
          return approval;
        },
        { timeout: 15_000 },
      )
      .toBeDefined();
    const decided = await api.request('alice', 'POST', `/v1/approvals/${approval!.approvalId}`, {
      decision: 'approve',
      argsDigest: approval!.argsDigest,
    });
    expect(decided.status).toBe(202);
  }

  it("runs each call with its own requester's token on a shared connection, and never shows the token", async () => {
    const carolToken = `carol-${randomUUID()}`;
    const bobToken = jwt(`bob-${randomUUID()}`, 3600);
    valid.add(`Bearer ${carolToken}`).add(`Bearer ${bobToken}`);
    // Read-only: no approval; bob's token arrives with its scheme, carol's without.
    const carolRound = await start('carol', callThenReport('echo', { message: 'as carol' }), carolToken);
    await answerOf('carol', carolRound).toBe('echo: as carol');
    const bobRound = await start('bob', callThenReport('echo', { message: 'as bob' }), `Bearer ${bobToken}`);
    await answerOf('bob', bobRound).toBe('echo: as bob');
    // A call that waits for approval: the approver decides without ever holding carol's token.
    const gated = await start('carol', callThenReport('delete_pod', { namespace: 'dev', name: 'web-1' }), carolToken);
    await approveOnce(gated);
    await answerOf('carol', gated).toContain('web-1');

    const byMessage = (message: string) => mcp.calls.find((call) => call.arguments.message === message);
    expect(byMessage('as carol')?.authorization).toBe(`Bearer ${carolToken}`);
    expect(byMessage('as bob')?.authorization).toBe(`Bearer ${bobToken}`);
    expect(mcp.calls.find((call) => call.arguments.name === 'web-1')?.authorization).toBe(`Bearer ${carolToken}`);

    // A token the server refuses: the failure the call records is searched too.
    const refusedToken = `carol-refused-${randomUUID()}`;
    const refused = await start('carol', callThenReport('echo', { message: 'refused' }), refusedToken);
    await answerOf('carol', refused).toMatch(/401/);

    const tokens = [carolToken, bobToken, refusedToken];
    const rounds = [carolRound, bobRound, gated, refused];
    const leaks = (text: string) => tokens.filter((token) => text.includes(token));

    // What the API answers, to the requester and to the approver.
    const shown = JSON.stringify([
      (await api.request('carol', 'GET', `/v1/rounds/${gated}`)).body,
      (await api.request('alice', 'GET', `/v1/rounds/${gated}`)).body,
      (await api.request('alice', 'GET', '/v1/approvals')).body,
    ]);
    expect(shown).toContain('web-1');
    expect(leaks(shown)).toEqual([]);

    // Every payload of every round's history, opened with the codec: what anyone holding the key would read.
    const histories = new Map<string, Awaited<ReturnType<typeof historyOf>>>();
    for (const roundId of rounds) histories.set(roundId, await historyOf(roundId));
    for (const [roundId, history] of histories) {
      const decoded = await decodedHistoryTexts(history, codec);
      // Opened, and from where a leaked token would be: the round's input, which holds the sealed credential.
      expect(decoded.find(({ path }) => path.includes('workflowExecutionStartedEventAttributes.input'))?.text).toMatch(
        /"credentials":\{"k8s":\{"keyId":"k1","sealed":/,
      );
      for (const { path, text } of decoded) expect(leaks(text), `${roundId} ${path}`).toEqual([]);
      expect(leaks(JSON.stringify(history)), roundId).toEqual([]);
    }
    // The walk reaches every kind of attribute that holds payloads.
    const paths = [...histories.values()].flatMap((history) => historyPayloads(history).map(({ path }) => path));
    for (const where of [
      'workflowExecutionStartedEventAttributes.input',
      'activityTaskScheduledEventAttributes.input',
      'activityTaskCompletedEventAttributes.result',
      // The refused read's failure, on its local activity's marker.
      'markerRecordedEventAttributes.failure',
      'workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input',
      'upsertedMemo.fields',
      'searchAttributes.indexedFields',
      'header.fields',
      'userMetadata.summary',
    ])
      expect(
        paths.some((path) => path.includes(where)),
        where,
      ).toBe(true);

    // The codec endpoint, as the requester, the approver and someone else: only the requester reads the round whole,
    // so the others get every payload still sealed.
    const wire = historyPayloads(histories.get(gated)!).map(({ payload }) => toWire(payload));
    const decodeAs = async (person: Person) => {
      const answer = await api.request(person, 'POST', '/codec/decode', { payloads: wire });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.payloads as WirePayload[];
    };
    const opened = (await decodeAs('carol')).map(wireText).join('\n');
    expect(opened).toContain('web-1');
    expect(leaks(opened)).toEqual([]);
    expect(await decodeAs('alice')).toEqual(wire);
    expect(await decodeAs('mallory')).toEqual(wire);

    // The round's event stream, as the requester and as the approver.
    for (const token of [TOKENS.carol, TOKENS.alice]) {
      const stream = await readEvents(`${api.url}/v1/rounds/${gated}/events`, { token });
      expect(stream.ended).toBe(true);
      const streamed = JSON.stringify(stream.events);
      expect(streamed).toContain('web-1');
      expect(leaks(streamed)).toEqual([]);
    }

    // The database files with their write-ahead log. A payload stored unsealed on purpose is found by the same
    // scan, so a token that reached the store in the clear would be found too.
    const plainMarker = `plain-${randomUUID()}`;
    const plain = await new Client({ connection }).workflow.start('plainControl', {
      taskQueue: `no-worker-${randomUUID()}`,
      workflowId: `plain-control-${randomUUID()}`,
      args: [plainMarker],
    });
    await plain.terminate('a control for the disk scan');
    expect(filesContaining(folder, plainMarker).length).toBeGreaterThan(0);
    for (const token of tokens) expect(filesContaining(folder, token)).toEqual([]);
  });

  it('refuses a call when the round was started without the credential, and tells the model', async () => {
    const before = mcp.calls.length;
    const roundId = await start('carol', callThenReport('echo', { message: 'no token' }));
    await answerOf('carol', roundId).toMatch(/started without one.*Do not retry/);
    expect(mcp.calls.length).toBe(before);
  });

  it('refuses a token that expires while its approval waits, and one that has expired already', async () => {
    const token = jwt(`carol-${randomUUID()}`, 4);
    valid.add(`Bearer ${token}`);
    const roundId = await start('carol', callThenReport('delete_pod', { namespace: 'dev', name: 'late' }), token);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await approveOnce(roundId);
    await answerOf('carol', roundId).toMatch(/credential for its server expired at .*Ask the user to sign in again/);
    expect(mcp.calls.some((call) => call.arguments.name === 'late')).toBe(false);
    for (const { path, text } of await decodedHistoryTexts(await historyOf(roundId), codec))
      expect(text.includes(token), path).toBe(false);

    const expired = await api.request(
      'carol',
      'POST',
      '/v1/rounds',
      { query: 'too late' },
      { [KUBE_HEADER]: jwt('carol', -60) },
    );
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe('credential_expired');
    expect(JSON.stringify(expired.body)).not.toMatch(/eyJ/);
  });

  it('refuses to start a worker or API that would forward credentials without a codec key', () => {
    expect(() =>
      parseConfig(
        {
          temporal: { address: stack.address },
          llm: { baseURL: stack.llm.baseURL, model: 'scripted' },
          approvals: { approvers: ['alice'] },
          servers: [{ name: 'k8s', transport: 'http', url: mcp.url, userCredential: { fromHeader: KUBE_HEADER } }],
        },
        'no codec',
      ),
    ).toThrow(/servers\[0\]\.userCredential: forwarding user credentials needs codec\.keys/);
  });
});

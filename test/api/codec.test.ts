// Encrypted payloads on a real server: a dev server writing to a SQLite file, or the cluster's PostgreSQL
// (TOOLGATE_TEST_TEMPORAL=cluster). Nothing a round carries (its query, tool arguments and results, approval
// previews) is readable in the database or in visibility; the API still lists and decides; the codec endpoint
// opens payloads only for principals who may read the round; keys rotate.
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import protos from '@temporalio/proto';
import { ENCRYPTED_ENCODING, EncryptionCodec, loadCodecKeys } from '../../runtime/payload-codec.ts';
import { RequesterAttribute, WORKFLOW_TYPE } from '../../workflows/contract.ts';
import { TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { toWire, type WirePayload } from '../support/history-payloads.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { filesContaining, postgresColumnsContaining, testPostgres } from '../../testkit/temporal-store.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const secret = () => randomBytes(32).toString('base64');

describe('encrypted payloads', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-codec-'));
  const oldKey = { id: 'k1', secret: secret() };
  const currentKey = { id: 'k2', secret: secret() };
  const argMarker = `argument-${randomUUID()}`;
  const queryMarker = `query-${randomUUID()}`;
  const postgres = testPostgres();
  let stack: SealedStack;
  let api: ApiHarness;
  let connection: NativeConnection;
  let mcp: HttpMcpServer;
  let routes: SealedStack['routes'];
  let roundId: string;

  beforeAll(async () => {
    stack = await startSealedStack({
      name: 'codec-test',
      folder,
      config: () => ({ approvals: { approvers: ['alice'] }, codec: { keys: [currentKey, oldKey] } }),
      api: { roles: { auditor: ['audrey'] } },
    });
    ({ api, connection, mcp, routes } = stack);
  });

  afterAll(() => stack?.close());

  it('runs a gated round whose arguments, results and query never reach the database or visibility in the clear', async () => {
    routes[queryMarker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: argMarker } }] },
      { content: `deleted ${argMarker}` },
    );
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: `please ${queryMarker}` });
    expect(started.status).toBe(201);
    roundId = started.body.roundId;
    await expect
      .poll(
        async () =>
          ((await api.request('alice', 'GET', '/v1/approvals')).body.approvals ?? [])
            .map((approval: { argsPreview: string }) => approval.argsPreview)
            .join(),
        { timeout: 15_000 },
      )
      .toContain(argMarker);
    // Visibility while the approval waits: the memo (which holds its preview) is sealed, search attributes hold no arguments.
    const listed = await connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = "${roundId}"`,
    });
    const visible = (listed.executions ?? []).flatMap((execution) => [
      ...Object.values(execution.memo?.fields ?? {}),
      ...Object.values(execution.searchAttributes?.indexedFields ?? {}),
    ]);
    expect(visible.length).toBeGreaterThan(0);
    for (const payload of visible) {
      expect(Buffer.from(payload.data ?? []).includes(Buffer.from(argMarker))).toBe(false);
      expect(Buffer.from(payload.data ?? []).includes(Buffer.from(queryMarker))).toBe(false);
    }

    const [approval] = (await api.request('alice', 'GET', '/v1/approvals')).body.approvals;
    expect(
      (
        await api.request('alice', 'POST', `/v1/approvals/${approval.approvalId}`, {
          decision: 'approve',
          argsDigest: approval.argsDigest,
        })
      ).status,
    ).toBe(202);
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.answer, { timeout: 15_000 })
      .toBe(`deleted ${argMarker}`);
    expect(mcp.calls.filter((call) => call.arguments.name === argMarker)).toHaveLength(1);

    // An MCP server's error text quotes the argument it refused: the activity failure carries it, sealed.
    const refusedMarker = `refused-${randomUUID()}`;
    routes[refusedMarker] = scriptedSteps(
      { toolCalls: [{ name: 'strict_echo', arguments: { message: `reject ${argMarker}` } }] },
      { content: 'refused' },
    );
    const refusedRound = (await api.request('carol', 'POST', '/v1/rounds', { query: refusedMarker })).body
      .roundId as string;
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${refusedRound}`)).body.answer, {
        timeout: 15_000,
      })
      .toBe('refused');
    const failures = (
      (
        await connection.workflowService.getWorkflowExecutionHistory({
          namespace: 'default',
          execution: { workflowId: refusedRound },
        })
      ).history?.events ?? []
    )
      // A read's failure: recorded on its local activity's marker (patch local-reads), an activity's before it.
      .flatMap(
        (event) =>
          event.markerRecordedEventAttributes?.failure ?? event.activityTaskFailedEventAttributes?.failure ?? [],
      );
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(JSON.stringify(failure)).not.toContain(argMarker);

    // The database itself: its files with their write-ahead log, and on PostgreSQL every value read through SQL.
    const stored = (needle: string) =>
      postgres
        ? [...filesContaining(postgres.dataDir, needle), ...postgresColumnsContaining(postgres, needle)]
        : filesContaining(folder, needle);
    expect(stored(argMarker)).toEqual([]);
    expect(stored(queryMarker)).toEqual([]);
    // The same search finds what the server keeps in the clear: it would find a leaked argument.
    expect(stored(roundId).length).toBeGreaterThan(0);
  });

  it('opens payloads at /codec/decode only for principals who may read the round, with CORS for the Web UI', async () => {
    const events = (await new Client({ connection }).workflow.getHandle(roundId).fetchHistory()).events ?? [];
    const input = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    expect(new TextDecoder().decode(input.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    const wire = {
      metadata: Object.fromEntries(
        Object.entries(input.metadata!).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(input.data!).toString('base64'),
    };
    const decode = (token: string | undefined) =>
      fetch(`${api.url}/codec/decode`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'http://ui.test',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ payloads: [wire] }),
      });
    const opened = await decode(TOKENS.carol);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('access-control-allow-origin')).toBe('http://ui.test');
    const plain = (await opened.json()) as { payloads: Array<{ data: string }> };
    expect(Buffer.from(plain.payloads[0]!.data, 'base64').toString()).toContain(queryMarker);

    const refused = (await (await decode(TOKENS.mallory)).json()) as { payloads: Array<{ data: string }> };
    expect(refused.payloads[0]).toEqual(wire);

    // Relabelled as a round mallory may read, carol's payload still does not open for mallory.
    const marker = `mallory-${randomUUID()}`;
    routes[marker] = scriptedSteps({ content: 'ok' });
    const mine = (await api.request('mallory', 'POST', '/v1/rounds', { query: marker })).body.roundId as string;
    const relabelled = {
      ...wire,
      metadata: { ...wire.metadata, 'toolgate-round': Buffer.from(mine).toString('base64') },
    };
    const walkedAround = await fetch(`${api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.mallory}` },
      body: JSON.stringify({ payloads: [relabelled] }),
    });
    expect(walkedAround.status).toBe(200);
    expect(((await walkedAround.json()) as { payloads: unknown[] }).payloads[0]).toEqual(relabelled);
    expect((await decode(undefined)).status).toBe(401);

    const preflight = await fetch(`${api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://ui.test', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const stranger = await fetch(`${api.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test' },
    });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps opening payloads sealed with a retired key after rotation, and refuses keys that are not 32 bytes', async () => {
    const rotated = new EncryptionCodec(loadCodecKeys([{ id: 'k3', secret: secret() }, currentKey, oldKey]));
    const sealedBefore = await new EncryptionCodec(loadCodecKeys([currentKey])).encode(
      [{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"hello"') }],
      { type: 'workflow', namespace: 'default', workflowId: 'r' },
    );
    const [opened] = await rotated.decode(sealedBefore);
    expect(new TextDecoder().decode(opened!.data)).toBe('"hello"');
    const [resealed] = await rotated.encode([opened!]);
    expect(new TextDecoder().decode(resealed!.metadata!['encryption-key-id'])).toBe('k3');
    expect(() => loadCodecKeys([{ id: 'short', secret: Buffer.alloc(16).toString('base64') }])).toThrow(
      /must be 32 bytes/,
    );
  });

  const startInput = async (roundId: string, runId?: string) => {
    const history = await new Client({ connection }).workflow.getHandle(roundId, runId).fetchHistory();
    return history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  };
  const decodeAs = async (person: Person, payloads: WirePayload[]) => {
    const answer = await api.request(person, 'POST', '/codec/decode', { payloads });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.payloads as WirePayload[];
  };
  const opened = (payload: WirePayload, marker: string) =>
    Buffer.from(payload.data, 'base64').toString().includes(marker);

  it("does not open a round's payloads for whoever started a later run under its id", async () => {
    const marker = `first-run-${randomUUID()}`;
    routes[marker] = scriptedSteps({ content: 'done' });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    const roundId = started.body.roundId as string;
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.answer, { timeout: 15_000 })
      .toBe('done');
    const first = toWire(await startInput(roundId));
    expect(opened((await decodeAs('carol', [first]))[0]!, marker)).toBe(true);

    // A namespace writer reuses the closed round's id, naming herself as requester.
    const second = await stack.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: `no-worker-${randomUUID()}`,
      workflowId: roundId,
      args: [{ query: 'mine now', requester: 'mallory' }],
      typedSearchAttributes: [{ key: RequesterAttribute, value: 'mallory' }],
    });
    expect(await decodeAs('mallory', [first])).toEqual([first]);
    // Its requesters disagree now: only a principal who may read every run of the id (an auditor) reads either.
    expect(await decodeAs('carol', [first])).toEqual([first]);
    const secondInput = toWire(await startInput(roundId, second.firstExecutionRunId));
    expect(await decodeAs('mallory', [secondInput])).toEqual([secondInput]);
    const [asAuditor] = await decodeAs('audrey', [first]);
    expect(opened(asAuditor!, marker)).toBe(true);
    await second.terminate('test over');
  });

  it('opens payloads sealed before the namespace was bound, and not ones relabelled with another namespace', async () => {
    const marker = `old-format-${randomUUID()}`;
    routes[marker] = scriptedSteps({ content: 'done' });
    const roundId = (await api.request('carol', 'POST', '/v1/rounds', { query: marker })).body.roundId as string;
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.answer, { timeout: 15_000 })
      .toBe('done');
    // The format rounds and stored histories hold from before: the round alone is authenticated, no binding label.
    const key = loadCodecKeys([oldKey])[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(Buffer.from(`toolgate-round:${roundId}`));
    const inner = protos.temporal.api.common.v1.Payload.encode({
      metadata: { encoding: Buffer.from('json/plain') },
      data: Buffer.from(JSON.stringify(marker)),
    }).finish();
    const sealed = Buffer.concat([iv, cipher.update(deflateRawSync(inner)), cipher.final(), cipher.getAuthTag()]);
    const old = {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        'encryption-key-id': Buffer.from(key.id),
        'encryption-cipher': Buffer.from('AES-256-GCM'),
        'toolgate-round': Buffer.from(roundId),
      },
      data: sealed,
    };
    const [reopened] = await stack.codec.decode([old]);
    expect(Buffer.from(reopened!.data!).toString()).toContain(marker);
    expect(opened((await decodeAs('carol', [toWire(old)]))[0]!, marker)).toBe(true);
    expect(await decodeAs('mallory', [toWire(old)])).toEqual([toWire(old)]);

    // Today's payloads name their namespace, authenticated: relabelled, they open neither here nor in the codec.
    const current = await startInput(roundId);
    expect(Buffer.from(current.metadata!['toolgate-namespace']!).toString()).toBe('default');
    const elsewhere = {
      ...current,
      metadata: { ...current.metadata, 'toolgate-namespace': Buffer.from('other') },
    };
    await expect(stack.codec.decode([elsewhere])).rejects.toThrow(/does not open/);
    expect(await decodeAs('carol', [toWire(elsewhere)])).toEqual([toWire(elsewhere)]);
    // Sealed in another namespace for a round of the same id: this API's namespace does not vouch for it.
    const [foreign] = await stack.codec.encode(
      [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(`"${marker}"`) }],
      {
        type: 'workflow',
        namespace: 'other',
        workflowId: roundId,
      },
    );
    expect(await decodeAs('carol', [toWire(foreign!)])).toEqual([toWire(foreign!)]);
  });
});

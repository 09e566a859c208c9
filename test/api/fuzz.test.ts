// Property: whatever a client sends to any route of the OpenAPI document (path ids, query parameters, headers,
// bodies), a running API answers 2xx or a 4xx JSON error, never a 5xx or a stack trace. Routes are read from
// /openapi.json, so a new route is fuzzed without touching this file. The codec endpoint and the Slack route,
// which need keys and a signing secret, are fuzzed on an API configured with both: round labels and payloads
// of every shape, and unsigned, garbled and wrongly signed Slack requests, are answered 4xx, never 5xx, never late.
import { createHmac, randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodecMetadata, ENCRYPTED_ENCODING, dataConverterFor } from '../../runtime/payload-codec.ts';
import { APPROVE_ACTION, REJECT_ACTION } from '../../slack/actions.ts';
import { startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../testkit/fake-slack-api.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  bodyProperties: string[];
}

const RUNS_PER_OPERATION = 80;
const EDGE_RUNS = 150;
/** Longer than any answer may take: a request still open then is a hang. */
const ANSWER_WITHIN_MS = 10_000;
const SIGNING_SECRET = 'slack-signing-secret-for-the-fuzzer';
const CODEC_KEY_ID = 'fuzz';

/** Drawn values: hostile ones, and plausible ones that pass validation so requests reach handlers and Temporal. */
function values(plausible: string[]) {
  const text = fc.oneof(
    fc.constantFrom(...plausible),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '..',
      '../etc/passwd',
      '%',
      '%00',
      '%zz',
      'null',
      '-1',
      '0',
      '1e999',
      'a'.repeat(5000),
      '\u0000',
      '"',
      "'",
      '\\',
      '{}',
      '[]',
    ),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  return { text, value };
}

function operationsOf(document: {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
      }
    >
  >;
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, spec] of Object.entries(methods)) {
      const schema = spec.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: spec.parameters ?? [],
        bodyProperties: Object.keys(schema?.properties ?? {}),
      });
    }
  }
  return operations;
}

/** A request for `operation`: every part drawn from valid-looking and hostile values alike. */
function requestFor(operation: Operation, plausible: string[]) {
  const { text: TEXT, value: VALUE } = values(plausible);
  const pathNames = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const queryNames = operation.parameters
    .filter((parameter) => parameter.in === 'query')
    .map((parameter) => parameter.name);
  return fc
    .record({
      pathValues: fc.tuple(...pathNames.map(() => TEXT)),
      rawPath: fc.boolean(),
      query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryNames, 'x'), TEXT), TEXT), { maxLength: 4 }),
      token: fc.constantFrom<string | undefined>(
        TOKENS.alice,
        TOKENS.carol,
        TOKENS.audrey,
        undefined,
        'garbage',
        `${TOKENS.alice} extra`,
      ),
      lastEventId: fc.option(TEXT, { nil: undefined }),
      contentType: fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      body: fc.oneof(
        fc.constant(undefined),
        TEXT,
        VALUE.map((value) => JSON.stringify(value)),
        fc
          .dictionary(fc.constantFrom(...operation.bodyProperties, 'extra'), VALUE, { maxKeys: 6 })
          .map((value) => JSON.stringify(value)),
      ),
    })
    .map((parts) => {
      let index = 0;
      const path = operation.path.replace(/\{\w+\}/g, () => {
        const value = parts.pathValues[index++] ?? '';
        return parts.rawPath ? value.replace(/[/?#\s]/g, '') : encodeURIComponent(value);
      });
      const search = new URLSearchParams(parts.query).toString();
      return { ...parts, url: `${path}${search ? `?${search}` : ''}` };
    });
}

/** 2xx, or a 4xx JSON error in the API's shape; never a 5xx, never a stack trace. */
function expectClientAnswer(status: number, text: string, where: string): void {
  expect(status, `${where}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(text, where).not.toMatch(/\bat .*\.(ts|js):\d+/);
  if (status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code, `${where}: ${text.slice(0, 300)}`).toBe('string');
    expect(typeof body.error?.message, where).toBe('string');
  }
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** Bodies for /codec/decode: payloads labelled with hostile and real rounds, keys known and not, any data. */
function codecBodies(roundIds: string[]) {
  const label = fc.oneof(
    { arbitrary: fc.constantFrom(...roundIds), weight: 3 },
    fc.constantFrom('', 'r'.repeat(1001), '../x', '../../etc/passwd', '%00', '\u0000', ' '),
    fc.string({ maxLength: 40 }),
  );
  // Mostly the values a sealed payload carries, so that many payloads reach the key and the cipher.
  const metadataValue = (sealed: string, ...others: string[]) =>
    fc.oneof(
      { arbitrary: fc.constant(base64(sealed)), weight: 6 },
      fc.constantFrom(...others.map(base64)),
      fc.string({ maxLength: 20 }),
    );
  const metadata = {
    [CodecMetadata.encoding]: metadataValue(ENCRYPTED_ENCODING, 'json/plain', ''),
    [CodecMetadata.keyId]: metadataValue(CODEC_KEY_ID, 'retired', ''),
    [CodecMetadata.cipher]: metadataValue('AES-256-GCM', ''),
    [CodecMetadata.round]: fc.oneof({ arbitrary: label.map(base64), weight: 4 }, fc.string({ maxLength: 20 })),
  };
  const payload = fc.record(
    {
      metadata: fc.oneof({ arbitrary: fc.record(metadata), weight: 3 }, fc.record(metadata, { requiredKeys: [] })),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64')),
        fc.string({ maxLength: 40 }),
      ),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { arbitrary: fc.array(payload, { maxLength: 5 }).map((payloads) => JSON.stringify({ payloads })), weight: 10 },
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 60 }),
    fc.constantFrom('', '{', JSON.stringify({ payloads: Array.from({ length: 1001 }, () => ({})) })),
  );
}

/** Interaction payloads Slack might send, and some it never would. */
function slackPayloads(approvalIds: string[], responseUrl: string) {
  const button = fc.oneof(
    fc
      .record({
        approvalId: fc.constantFrom(...approvalIds, '../x', ''),
        argsDigest: fc.constantFrom('0'.repeat(64), ''),
      })
      .map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 30 }),
  );
  return fc.record(
    {
      type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'url_verification', ''),
      team: fc.constant({ id: 'T1', domain: 'fuzz' }),
      user: fc.record({ id: fc.constantFrom('U_ALICE', 'U_CAROL', 'U_NOBODY', '') }),
      api_app_id: fc.constant('A1'),
      token: fc.constant('legacy-verification-token'),
      trigger_id: fc.constant('trigger-fuzz'),
      response_url: fc.constant(responseUrl),
      container: fc.constant({ type: 'message', message_ts: '1.1', channel_id: 'C_FUZZ' }),
      actions: fc.array(
        fc.record({
          type: fc.constant('button'),
          action_id: fc.constantFrom(APPROVE_ACTION, REJECT_ACTION, 'other'),
          block_id: fc.constant('toolgate_decision'),
          value: button,
          action_ts: fc.constant('1.1'),
        }),
        { maxLength: 2 },
      ),
      view: fc.jsonValue({ maxDepth: 2 }),
      challenge: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: ['type'] },
  );
}

describe('every route answers malformed input with a 4xx JSON error', () => {
  let harness: Harness;
  let api: ApiHarness;
  /** The same API with codec keys and Slack, for the routes only they switch on. */
  let edgeApi: ApiHarness;
  let slack: FakeSlackApi;
  let mcp: HttpMcpServer;
  let operations: Operation[];
  let gatedRoundId: string;
  const plausible = [
    'round-x',
    'round-x.1.0',
    'approve',
    'reject',
    'pending',
    'requested',
    'decide',
    'AAAA',
    'k8s',
    'delete_pod',
    '5',
  ];

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice'] },
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }],
    });
    // Any round the fuzzer manages to start gets a quick answer instead of an LLM failing and retrying.
    harness.routes[''] = scriptedSteps({ content: 'fuzzed' });
    api = await startApi(harness, { roles: { auditor: ['audrey'] } });
    // A real round waiting for an approval, so its id and approval id are among the values drawn.
    harness.routes['fuzz-gated'] = scriptedSteps({
      toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'fuzz' } }],
    });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: 'fuzz-gated' });
    gatedRoundId = started.body.roundId;
    plausible.push(gatedRoundId, `${gatedRoundId}.1.0`);
    operations = operationsOf((await api.request(undefined, 'GET', '/openapi.json')).body);

    slack = await startFakeSlackApi();
    const codec = { keys: [{ id: CODEC_KEY_ID, secret: randomBytes(32).toString('base64') }] };
    edgeApi = await startApi(
      {
        client: new Client({ connection: harness.connection, dataConverter: dataConverterFor(codec) }),
        config: { ...harness.config, codec },
      },
      {
        roles: { auditor: ['audrey'] },
        slack: {
          botToken: 'xoxb-fuzz',
          signingSecret: SIGNING_SECRET,
          teamId: 'T1',
          appId: 'A1',
          replayCache: 10_000,
          socketMode: false,
          channel: 'C_FUZZ',
          channels: {},
          users: { U_ALICE: 'alice', U_CAROL: 'carol' },
          apiUrl: slack.apiUrl,
        },
      },
    );
  });

  afterAll(async () => {
    await edgeApi?.close();
    await slack?.close();
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('reads the routes from the OpenAPI document', () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/rounds',
        'GET /v1/rounds/{id}',
        'DELETE /v1/rounds/{id}',
        'GET /v1/rounds/{id}/events',
        'GET /v1/approvals',
        'POST /v1/approvals/{approvalId}',
      ]),
    );
  });

  it('refuses a control character in a filter that reaches a visibility query with 400, not an outage', async () => {
    for (const url of ['/v1/audit?approver=%00', '/v1/audit?tool=a%0Ab', '/v1/approvals?requester=%7F']) {
      const { status, body } = await api.request('alice', 'GET', url);
      expect(status, url).toBe(400);
      expect(JSON.stringify(body), url).toContain('control characters');
    }
  });

  it('never answers 5xx or a stack trace', { timeout: 300_000 }, async () => {
    const statuses = new Map<number, number>();
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(operation, plausible), async (request) => {
          const controller = new AbortController();
          const response = await fetch(`${api.url}${request.url}`, {
            method: operation.method,
            headers: {
              ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
              ...(request.lastEventId === undefined
                ? {}
                : { 'last-event-id': encodeURIComponent(request.lastEventId) }),
              ...(request.body === undefined || operation.method === 'GET'
                ? {}
                : { 'content-type': request.contentType }),
            },
            body: operation.method === 'GET' ? undefined : request.body,
            signal: controller.signal,
          });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const shown = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
          const where = `${operation.method} ${shown} -> ${response.status}`;
          if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
            controller.abort();
            expect(response.status, where).toBe(200);
            return;
          }
          expectClientAnswer(response.status, await response.text(), where);
        }),
        { numRuns: RUNS_PER_OPERATION },
      );
    }
    // The fuzzer itself must get past validation often enough to test the handlers behind it.
    const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
    const deep = [...statuses]
      .filter(([status]) => ![400, 401, 415].includes(status))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(deep / total, JSON.stringify(Object.fromEntries(statuses))).toBeGreaterThan(0.1);
  });

  it(
    'answers /codec/decode with any round label, payload or body without a 5xx or a hang',
    { timeout: 120_000 },
    async () => {
      const statuses = new Map<number, number>();
      // A payload that looks sealed with the configured key, labelled with the round carol and audrey may read.
      const opensForReaders = (body: string) => {
        const sent = JSON.parse(body) as { payloads: Array<{ metadata?: Record<string, string> }> };
        return sent.payloads.some(
          ({ metadata }) =>
            metadata?.[CodecMetadata.encoding] === base64(ENCRYPTED_ENCODING) &&
            metadata[CodecMetadata.keyId] === base64(CODEC_KEY_ID) &&
            metadata[CodecMetadata.round] === base64(gatedRoundId),
        );
      };
      let opened = 0;
      const sealedLooking = (label: string, data?: string) =>
        JSON.stringify({
          payloads: [
            {
              metadata: {
                [CodecMetadata.encoding]: base64(ENCRYPTED_ENCODING),
                [CodecMetadata.keyId]: base64(CODEC_KEY_ID),
                [CodecMetadata.round]: base64(label),
              },
              ...(data === undefined ? {} : { data }),
            },
          ],
        });
      await fc.assert(
        fc.asyncProperty(
          codecBodies([gatedRoundId]),
          fc.oneof(
            { arbitrary: fc.constantFrom(TOKENS.carol, TOKENS.audrey), weight: 4 },
            fc.constantFrom<string | undefined>(TOKENS.mallory, undefined, 'garbage'),
          ),
          fc.oneof({ arbitrary: fc.constant('application/json'), weight: 5 }, fc.constantFrom('text/plain', '')),
          async (body, token, contentType) => {
            const response = await fetch(`${edgeApi.url}/codec/decode`, {
              method: 'POST',
              headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': contentType },
              body,
              signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
            });
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            expectClientAnswer(response.status, await response.text(), `POST /codec/decode ${body.slice(0, 300)}`);
            if (response.status === 200 && token !== TOKENS.mallory && opensForReaders(body)) opened++;
          },
        ),
        {
          numRuns: EDGE_RUNS,
          // Each label and payload that once answered 500, every run.
          examples: [
            [sealedLooking(''), TOKENS.carol, 'application/json'],
            [sealedLooking('r'.repeat(1001)), TOKENS.audrey, 'application/json'],
            [sealedLooking('../x'), TOKENS.mallory, 'application/json'],
            [sealedLooking(gatedRoundId), TOKENS.carol, 'application/json'],
            [sealedLooking(gatedRoundId, 'AAAA'), TOKENS.audrey, 'application/json'],
          ],
        },
      );
      // Enough requests got past authentication and validation to the payloads, and on to the cipher.
      expect(statuses.get(200) ?? 0, JSON.stringify(Object.fromEntries(statuses))).toBeGreaterThan(EDGE_RUNS / 10);
      expect(opened).toBeGreaterThan(2);
    },
  );

  it(
    'answers unsigned, garbled and wrongly signed /slack/events requests 401, and none with a 5xx or a hang',
    { timeout: 120_000 },
    async () => {
      const statuses = new Map<number, number>();
      const sign = (body: string, timestamp: string, secret = SIGNING_SECRET) =>
        `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const payloads = slackPayloads([`${gatedRoundId}.1.0`], slack.responseUrl('fuzz'));
      const click = new URLSearchParams({
        payload: JSON.stringify({
          type: 'block_actions',
          team: { id: 'T1' },
          user: { id: 'U_ALICE' },
          trigger_id: 'trigger-fuzz',
          response_url: slack.responseUrl('fuzz'),
          container: { type: 'message', message_ts: '1.1', channel_id: 'C_FUZZ' },
          actions: [
            {
              type: 'button',
              action_id: APPROVE_ACTION,
              block_id: 'toolgate_decision',
              value: JSON.stringify({ approvalId: `${gatedRoundId}.1.0`, argsDigest: '0'.repeat(64) }),
              action_ts: '1.1',
            },
          ],
        }),
      }).toString();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 80 }),
            fc.string({ unit: 'binary', maxLength: 80 }),
            fc
              .jsonValue({ maxDepth: 3 })
              .map((value) => new URLSearchParams({ payload: JSON.stringify(value) }).toString()),
            payloads.map((payload) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString()),
            payloads.map((payload) => JSON.stringify(payload)),
            fc.constantFrom('', 'payload=%7B', 'payload=', '%', '{}'),
          ),
          fc.constantFrom<string | undefined>(
            'application/x-www-form-urlencoded',
            'application/json',
            'text/plain',
            undefined,
          ),
          fc.oneof(
            { arbitrary: fc.constant('now'), weight: 2 },
            fc.constantFrom('stale', 'future', 'missing'),
            fc.string({ maxLength: 12 }),
          ),
          fc.oneof(
            { arbitrary: fc.constant('valid'), weight: 2 },
            fc.constantFrom('other secret', 'other body', 'other time', 'garbage', 'empty', 'missing'),
          ),
          async (body, contentType, when, signing) => {
            const now = Math.floor(Date.now() / 1000);
            const timestamp =
              when === 'now'
                ? String(now)
                : when === 'stale'
                  ? String(now - 301)
                  : when === 'future'
                    ? String(now + 301)
                    : when;
            const signature = {
              valid: sign(body, timestamp),
              'other secret': sign(body, timestamp, 'not-the-signing-secret'),
              'other body': sign(`${body}x`, timestamp),
              'other time': sign(body, String(now - 1)),
              garbage: 'v0=zz',
              empty: '',
              missing: undefined,
            }[signing];
            const response = await fetch(`${edgeApi.url}/slack/events`, {
              method: 'POST',
              headers: {
                ...(contentType === undefined ? {} : { 'content-type': contentType }),
                ...(when === 'missing' ? {} : { 'x-slack-request-timestamp': timestamp }),
                ...(signature === undefined ? {} : { 'x-slack-signature': signature }),
              },
              body,
              signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
            });
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            const where = `POST /slack/events (${when}, ${signing}, ${contentType}) ${body.slice(0, 300)}`;
            expectClientAnswer(response.status, await response.text(), where);
            if (signing !== 'valid' || when !== 'now') expect(response.status, where).toBe(401);
          },
        ),
        {
          numRuns: EDGE_RUNS,
          // Alice's click on the waiting approval with a stale digest: signed, unsigned, and signed for nothing.
          examples: [
            [click, 'application/x-www-form-urlencoded', 'now', 'valid'],
            [click, 'application/x-www-form-urlencoded', 'now', 'missing'],
            ['', undefined, 'now', 'valid'],
          ],
        },
      );
      // Correctly signed requests reached Bolt and its listeners too.
      const verified = [...statuses].filter(([status]) => status !== 401).reduce((sum, [, count]) => sum + count, 0);
      expect(verified, JSON.stringify(Object.fromEntries(statuses))).toBeGreaterThan(EDGE_RUNS / 50);
    },
  );
});

// Property: whatever a client sends to any route of the OpenAPI document (path ids, query parameters, headers,
// bodies), a running API answers 2xx or a 4xx JSON error, never a 5xx or a stack trace. Routes are read from
// /openapi.json, so a new route is fuzzed without touching this file.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
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

describe('every route answers malformed input with a 4xx JSON error', () => {
  let harness: Harness;
  let api: ApiHarness;
  let mcp: HttpMcpServer;
  let operations: Operation[];
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
    plausible.push(started.body.roundId, `${started.body.roundId}.1.0`);
    operations = operationsOf((await api.request(undefined, 'GET', '/openapi.json')).body);
  });

  afterAll(async () => {
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
          const text = await response.text();
          expect(response.status, `${where}: ${text.slice(0, 300)}`).toBeLessThan(500);
          expect(text, where).not.toMatch(/\bat .*\.(ts|js):\d+/);
          if (response.status >= 400) {
            const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            expect(typeof body.error?.code, `${where}: ${text.slice(0, 300)}`).toBe('string');
            expect(typeof body.error?.message, where).toBe('string');
          }
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
});

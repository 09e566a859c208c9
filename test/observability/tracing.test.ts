// Traces an operator follows from the HTTP request to the MCP call: a real API process and a real worker
// process export over OTLP/HTTP (JSON and protobuf) to a receiver the test runs; one round is one connected
// trace, its traceparent reaches the LLM and the MCP server, and no argument or memo rides along.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChildService } from '../../testkit/child-processes.ts';
import { freePort } from '../../scripts/ports.ts';
import { approveShown, apiRequester, firstApprovalId, TOKEN_CONFIG, type ApiHarness } from '../support/api-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../testkit/otlp-receiver.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { spawnApi, spawnWorker, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const SERVER = 'traced';

/** The W3C traceparent fields: version-traceid-parentid-flags. */
function parseTraceparent(header: string | string[] | undefined): { traceId: string; parentId: string } | undefined {
  const match = typeof header === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(header) : null;
  return match ? { traceId: match[1]!, parentId: match[2]! } : undefined;
}

describe('tracing', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-tracing-'));
  let receiver: OtlpReceiver;
  let mcp: HttpMcpServer;
  let harness: Harness;
  let worker: ChildService;
  let api: ChildService;
  let call: ApiHarness['request'];
  const secretArgument = `pod-${randomUUID()}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    mcp = await startHttpMcpServer({ name: SERVER });
    const servers = [{ name: SERVER, transport: 'http', url: mcp.url, trusted: true }];
    harness = await startHarness({ approvals: { approvers: ['alice'] }, servers, worker: false });
    const port = await freePort();
    call = apiRequester(`http://127.0.0.1:${port}`);
    const config = {
      temporal: { address: inject('temporalAddress'), taskQueue: harness.config.temporal.taskQueue },
      llm: { baseURL: harness.llm.baseURL, model: 'scripted' },
      approvals: { approvers: ['alice'] },
      signing: TEST_SIGNING,
      servers,
      api: { port, tokens: TOKEN_CONFIG },
    };
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    [worker, api] = await Promise.all([
      spawnWorker(writeConfig(join(folder, 'worker.yaml'), config), 120_000, {
        ...otel,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        TEMPORAL_LOG_LEVEL: 'INFO',
      }),
      spawnApi(writeConfig(join(folder, 'api.yaml'), config), 30_000, {
        ...otel,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'toolgate-api-traced',
      }),
    ]);
  });

  afterAll(async () => {
    await api?.stop('SIGTERM');
    await worker?.stop('SIGTERM');
    await harness?.close();
    await mcp?.close();
    await receiver?.close();
  });

  /** Runs an approved round; returns its id once completed. */
  async function approvedRound(marker: string): Promise<string> {
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: secretArgument } }] },
      { content: 'done' },
    );
    const started = await call('carol', 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    const approvalId = await firstApprovalId(call, roundId);
    expect((await approveShown(call, 'alice', approvalId)).status).toBe(202);
    await expect
      .poll(async () => (await call('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    return roundId;
  }

  /** The spans of the trace whose round span names `roundId`, once the round's own span has arrived. */
  async function traceOf(roundId: string): Promise<ReceivedSpan[]> {
    let round: ReceivedSpan | undefined;
    await expect
      .poll(
        () =>
          (round = receiver.spans.find(
            (span) => span.name === 'RunWorkflow:queryRound' && span.attributes['toolgate.round.id'] === roundId,
          )),
        { timeout: 20_000 },
      )
      .toBeDefined();
    // The API's request span ends after its response: give the batch processors a moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return receiver.spans.filter((span) => span.traceId === round!.traceId);
  }

  it('makes one round one connected trace, from the HTTP request to the MCP call', async () => {
    const roundId = await approvedRound(`t-${randomUUID()}`);
    const spans = await traceOf(roundId);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const named = (name: string) => spans.filter((span) => span.name === name);
    const one = (name: string) => {
      expect(named(name), `${name} in ${spans.map((span) => span.name).join(', ')}`).toHaveLength(1);
      return named(name)[0]!;
    };
    const parentOf = (span: ReceivedSpan) => (span.parentSpanId ? byId.get(span.parentSpanId) : undefined);
    const ancestors = (span: ReceivedSpan) => {
      const chain: string[] = [];
      for (let at = parentOf(span); at; at = parentOf(at)) chain.push(at.name);
      return chain;
    };

    // One root, the request that started the round; every other span's parent is in the trace.
    const roots = spans.filter((span) => !span.parentSpanId);
    expect(roots.map((span) => span.name)).toEqual(['POST /v1/rounds']);
    expect(spans.filter((span) => span.parentSpanId && !byId.has(span.parentSpanId))).toEqual([]);
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['toolgate-api-traced', 'toolgate-worker']));
    expect(roots[0]!.attributes['http.response.status_code']).toBe(201);

    const round = one('RunWorkflow:queryRound');
    expect(ancestors(round)).toEqual(['StartWorkflow:queryRound', 'POST /v1/rounds']);
    expect(round.attributes['toolgate.round.status']).toBe('completed');
    for (const step of [one('step 1'), one('step 2')]) expect(parentOf(step)).toBe(round);

    const llmCalls = named('RunActivity:callLlm');
    expect(llmCalls).toHaveLength(2);
    expect(llmCalls.map((llm) => ancestors(llm).find((name) => name.startsWith('step '))).sort()).toEqual([
      'step 1',
      'step 2',
    ]);
    for (const llm of llmCalls) {
      expect(llm.attributes['gen_ai.request.model']).toBe('scripted');
      expect(llm.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    }

    const tool = one(`tool ${SERVER}/delete_pod`);
    expect(parentOf(tool)?.name).toBe('step 1');
    expect(tool.attributes).toMatchObject({ 'toolgate.tool.outcome': 'succeeded', 'toolgate.tool.attempts': 1 });
    const wait = one('approval wait');
    expect(parentOf(wait)).toBe(tool);
    expect(wait.attributes).toMatchObject({
      'toolgate.approval.outcome': 'approved',
      'toolgate.approval.channel': 'http',
    });
    const run = one('RunActivity:callTool');
    expect(ancestors(run).slice(0, 2)).toEqual(['StartActivity:callTool', tool.name]);

    // The trace context went out on the wire: the MCP request's parent is the callTool activity's span,
    // and each LLM request's parent is its callLlm activity's span.
    const mcpCall = mcp.calls.find((recorded) => recorded.arguments.name === secretArgument);
    expect(parseTraceparent(mcpCall?.traceparent)).toEqual({ traceId: round.traceId, parentId: run.spanId });
    const llmParents = harness.llm.requests
      .map((request) => parseTraceparent(request.headers.traceparent))
      .filter((parent) => parent?.traceId === round.traceId)
      .map((parent) => parent!.parentId);
    expect(llmParents.sort()).toEqual(llmCalls.map((span) => span.spanId).sort());

    // Nothing of the arguments, the memo or the principals in any attribute.
    const attributes = JSON.stringify(spans.map((span) => span.attributes));
    for (const secret of [secretArgument, 'carol', 'alice']) expect(attributes).not.toContain(secret);
    expect(receiver.contentTypes).toEqual(new Set(['application/json', 'application/x-protobuf']));
  });

  it('keeps each round its own trace on a worker that runs many', async () => {
    const first = await approvedRound(`t-${randomUUID()}`);
    const second = await approvedRound(`t-${randomUUID()}`);
    const [a, b] = [await traceOf(first), await traceOf(second)];
    expect(a[0]!.traceId).not.toBe(b[0]!.traceId);
    for (const spans of [a, b]) {
      expect(spans.filter((span) => !span.parentSpanId).map((span) => span.name)).toEqual(['POST /v1/rounds']);
      expect(spans.filter((span) => span.name === 'RunActivity:callTool')).toHaveLength(1);
    }
  });

  it('puts round id, approval id and trace id on the log lines of worker and API', async () => {
    const roundId = await approvedRound(`t-${randomUUID()}`);
    const [round] = (await traceOf(roundId)).filter((span) => span.name === 'RunWorkflow:queryRound');
    const lines = (service: ChildService) =>
      service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.roundId === roundId);
    const apiLines = lines(api);
    expect(apiLines.some((entry) => entry.traceId === round!.traceId && entry.msg === 'round started')).toBe(true);
    expect(apiLines.some((entry) => typeof entry.approvalId === 'string' && entry.traceId)).toBe(true);
    const workerLines = lines(worker);
    expect(workerLines.some((entry) => entry.approvalId && entry.traceId === round!.traceId)).toBe(true);
  });
});

// A gateway round asks one patch (`local-reads`, before it `gateway-fast-path`) and takes every older patched()
// branch without a marker: its history is that much shorter, and it behaves as a round that asked each one (full
// arguments on the approval, signed input checked).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { historyShape } from '../support/history-shape.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

describe('gateway rounds on the fast path', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  let client: Client;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    api = await startApi(harness);
    client = new Client({ name: 'fast-path-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKENS.carol}` } },
      }),
    );
  });

  afterAll(async () => {
    await client?.close();
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  /** The patch ids marked in the round's history, and how many search-attribute upserts it made. */
  async function historyOf(roundId: string) {
    // The API started it: the harness replays it at the end all the same.
    harness.roundIds.push(roundId);
    const events = (await harness.client.workflow.getHandle(roundId).fetchHistory()).events ?? [];
    const patches = events
      .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
      .flatMap((event) =>
        Object.values(event.markerRecordedEventAttributes?.details ?? {}).flatMap(
          (detail) =>
            detail.payloads?.map((payload) => defaultPayloadConverter.fromPayload<{ id?: string }>(payload).id) ?? [],
        ),
      )
      .filter((id): id is string => typeof id === 'string');
    const upserts = events.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes).length;
    const { workflowTasks, activities } = historyShape(events);
    return { patches, upserts, events: events.length, workflowTasks, activities };
  }

  it('runs a read-only call with one patch marker and two upserts, in one workflow task', async () => {
    const result = (await client.callTool({ name: 'k8s__echo', arguments: { message: 'fast' } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'echo: fast' }]);
    const roundId = result._meta?.['toolgate/roundId'] as string;
    const history = await historyOf(roundId);
    // `local-reads` implies the fast path: the call runs as a local activity of the round's only workflow task.
    expect(history.patches).toEqual(['local-reads']);
    // The patch's TemporalChangeVersion, and the round's closing status.
    expect(history.upserts).toBe(2);
    expect(history.workflowTasks).toBe(1);
    expect(history.activities).toEqual([]);
    expect(history.events).toBeLessThanOrEqual(11);
  });

  it('gates a call as a round that asked every patch would: full arguments shown, the approved call run once', async () => {
    const before = mcp.calls.length;
    let approvalId: string | undefined;
    const pending = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'web-9' } },
      undefined,
      {
        onprogress: (notice) =>
          (approvalId ??= (notice as { _meta?: Record<string, string> })._meta?.['toolgate/approvalId']),
      },
    );
    await expect.poll(() => approvalId, { timeout: 20_000 }).toBeDefined();
    // FULL_ARGUMENTS_PATCH's branch: the approver sees every argument, not only a preview.
    const shown = await api.request('alice', 'GET', `/v1/approvals/${approvalId}`);
    expect(shown.body).toMatchObject({ arguments: { namespace: 'default', name: 'web-9' } });
    expect((await approveShown(api.request, 'alice', approvalId!)).status).toBe(202);
    const result = (await pending) as CallToolResult;
    expect(result._meta).toMatchObject({ 'toolgate/approvalId': approvalId, 'toolgate/outcome': 'succeeded' });
    expect(mcp.calls.slice(before).map((call) => call.tool)).toEqual(['delete_pod']);
    const history = await historyOf(result._meta?.['toolgate/roundId'] as string);
    expect(history.patches).toEqual(['local-reads']);
    // Gated: the approved call is an activity, as every gated call is.
    expect(history.activities.filter((type) => type === 'callTool')).toHaveLength(1);
  });

  it('replays its rounds on this code', async () => {
    expect(harness.roundIds).toHaveLength(2);
    expect(await harness.replayRounds()).toBe(2);
  });
});

// A round asks one patch (`local-reads`, which implies `round-fast-path`) and takes every older patched() branch
// without a marker: its history is that much shorter (one TemporalChangeVersion upsert instead of one per patch),
// and it behaves as a round that asked each one (signed input checked, tools and tokens search attributes, full arguments on the
// approval, closed policy), and replays.
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusAttribute, ToolsAttribute, decideSignal } from '../../workflows/contract.ts';
import { startHarness, waitForPendingApprovals, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

describe('rounds on the fast path', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, approval: 'annotations' }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  /** The patch ids marked in the round's history, and its upserts of TemporalChangeVersion (one per marker). */
  async function historyOf(roundId: string): Promise<{ patches: string[]; changeVersionUpserts: number }> {
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
    const changeVersionUpserts = events.filter(
      (event) =>
        event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion,
    ).length;
    return { patches, changeVersionUpserts };
  }

  it('runs two steps of parallel read-only calls with one patch marker', async () => {
    harness.routes['fast-read'] = scriptedSteps(
      {
        toolCalls: [
          { name: 'k8s__echo', arguments: { message: 'one' } },
          { name: 'k8s__add', arguments: { a: 1, b: 2 } },
        ],
      },
      { toolCalls: [{ name: 'k8s__echo', arguments: { message: 'two' } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: 'fast-read please' });
    const result = await handle.result();
    expect(result.answer).toBe('done');
    expect(result.toolCalls.map((call) => call.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const history = await historyOf(handle.workflowId);
    expect(history.patches).toEqual(['local-reads']);
    // The six older patches a round of this shape asked made six upserts (and six markers).
    expect(history.changeVersionUpserts).toBe(1);
    // TOOLS_ATTRIBUTE_PATCH's branch, taken without a marker.
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(StatusAttribute)).toBe('completed');
    expect(attributes.get(ToolsAttribute)).toEqual(['k8s/add', 'k8s/echo']);
    expect(await harness.replayRounds()).toBeGreaterThan(0);
  });

  it('gates a call as a round that asked every patch would: full arguments shown, the approved call run once', async () => {
    harness.routes['fast-gated'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__delete_pod', arguments: { namespace: 'dev', name: 'fast-gated' } }] },
      { content: 'deleted' },
    );
    const before = mcp.calls.length;
    const handle = await harness.start({ query: 'fast-gated please' });
    const [approval] = await waitForPendingApprovals(handle);
    // FULL_ARGUMENTS_PATCH's branch: the approval carries every argument, not only a preview.
    expect(approval!.arguments).toEqual({ namespace: 'dev', name: 'fast-gated' });
    await handle.signal(
      decideSignal,
      signedDecision({
        approvalId: approval!.approvalId,
        decision: 'approve',
        approver: { id: 'alice', channel: 'cli' },
      }),
    );
    expect((await handle.result()).answer).toBe('deleted');
    expect(mcp.calls.slice(before).map((call) => call.tool)).toEqual(['delete_pod']);
    expect((await historyOf(handle.workflowId)).patches).toEqual(['local-reads']);
    expect(await harness.replayRounds()).toBeGreaterThan(0);
  });
});

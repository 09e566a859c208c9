// A step may open as many approvals as one reply may run calls (64 at most): the round stays within Temporal's
// search-attribute and memo limits, every approval is listable and decidable, and the tools run once each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_TOOL_CALLS_PER_REPLY_LIMIT,
  Memo,
  PendingApprovalsAttribute,
  decideSignal,
  type ApprovalSummary,
} from '../../workflows/contract.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startHarness, waitForPendingApprovals, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';

const CALLS = MAX_TOOL_CALLS_PER_REPLY_LIMIT;

describe('many approvals in one step', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { approvers: ['alice'] },
      round: { maxToolCallsPerReply: CALLS },
      servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it(
    `opens ${CALLS} approvals at once, publishes them within the limits, and runs each approved call once`,
    { timeout: 120_000 },
    async () => {
      const calls = Array.from({ length: CALLS }, (_, index) => ({
        name: 'delete_pod',
        arguments: { namespace: 'dev', name: `many-${index}`, reason: 'x'.repeat(200) },
      }));
      harness.routes['w-many'] = scriptedSteps({ toolCalls: calls }, { content: 'all handled' });
      const handle = await harness.start({ query: 'w-many' });
      const pending = await waitForPendingApprovals(handle, CALLS, 60_000);
      const description = await handle.describe();
      const ids = description.typedSearchAttributes.get(PendingApprovalsAttribute) ?? [];
      expect(ids.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(JSON.stringify(ids))).toBeLessThanOrEqual(2048);
      const memo = (description.memo?.[Memo.pendingApprovals] ?? []) as ApprovalSummary[];
      expect(memo.map((summary) => summary.approvalId).sort()).toEqual(
        pending.map((approval) => approval.approvalId).sort(),
      );
      for (const approval of pending) {
        await handle.signal(
          decideSignal,
          signedDecision({
            approvalId: approval.approvalId,
            decision: 'approve',
            approver: { id: 'alice', channel: 'cli' },
          }),
        );
      }
      const result = await handle.result();
      expect(result.toolCalls.filter((call) => call.outcome === 'succeeded')).toHaveLength(CALLS);
      expect(mcp.calls.filter((call) => String(call.arguments.name).startsWith('many-'))).toHaveLength(CALLS);
    },
  );

  it('replays every round of this file without non-determinism', async () => {
    expect(await harness.replayRounds()).toBe(harness.roundIds.length);
  });
});

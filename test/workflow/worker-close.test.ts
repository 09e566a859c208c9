// ToolgateWorker.close() lets the tool calls it is running finish before it closes their MCP connections: a
// deploy or a test teardown must not turn a call that was about to succeed into an unknown outcome.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';

describe('closing a worker', () => {
  let harness: Harness;
  let k8s: HttpMcpServer;

  beforeAll(async () => {
    k8s = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      servers: [{ name: 'k8s', transport: 'http', url: k8s.url, trusted: true, approval: 'never' }],
    });
  });

  afterAll(async () => {
    await harness?.close();
    await k8s?.close();
  });

  it('waits for a running tool call, which then succeeds once', async () => {
    harness.routes['w-close'] = scriptedSteps(
      { toolCalls: [{ name: 'k8s__slow', arguments: { ms: 2000 } }] },
      { content: 'done' },
    );
    const handle = await harness.start({ query: 'w-close' });
    await expect.poll(() => k8s.calls.filter((call) => call.tool === 'slow').length, { timeout: 20_000 }).toBe(1);

    const { worker } = harness.worker!;
    await harness.worker!.close();
    expect(worker.getState()).toBe('STOPPED');

    // A new worker carries the round on from the completed call.
    await harness.stopWorker();
    await harness.startWorker();
    const result = await handle.result();
    expect(result.toolCalls[0]).toMatchObject({ outcome: 'succeeded', attempts: 1, content: 'slept 2000' });
    expect(k8s.calls.filter((call) => call.tool === 'slow')).toHaveLength(1);
  });
});

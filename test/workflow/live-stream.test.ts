// Live token streaming from the worker's side: the worker advertises its live server, the LLM activity streams
// the model's text into it while the round's history keeps only the complete reply.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveUrlOf } from '../../runtime/live-identity.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';

describe('live streaming on the worker', () => {
  let harness: Harness;
  let mcp: HttpMcpServer;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'web' });
    harness = await startHarness({
      servers: [{ name: 'web', transport: 'http', url: mcp.url, trusted: true, approval: 'annotations' }],
    });
  });
  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
  });

  it("advertises the live server's URL in the identity it polls the task queue with", async () => {
    const pollerUrls = async () => {
      const { pollers } = await harness.connection.workflowService.describeTaskQueue({
        namespace: harness.config.temporal.namespace,
        taskQueue: { name: harness.config.temporal.taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return pollers.map((poller) => liveUrlOf(poller.identity ?? ''));
    };
    // A poller is listed once its first poll reached the server.
    await expect.poll(pollerUrls, { timeout: 10_000 }).toContain(harness.worker!.live.url);
    expect(harness.worker!.live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

// MCP tasks kept in Temporal (docs/gateway.md): a task is its call's round, so a task created on one API replica
// is read, awaited, listed and cancelled on another after the first is gone; another principal never sees it.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

async function connected(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'gateway-tasks-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function createTask(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const created = await client.request(
    { method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
  // The ttl asked for is not kept: the task lives while its round runs (null), then as long as Temporal keeps it.
  expect(created.task).toMatchObject({ status: 'working', ttl: null });
  return created.task.taskId;
}

describe('MCP tasks kept in Temporal', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let second: ApiHarness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    second = await startApi(harness);
  });

  afterAll(async () => {
    await second?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('follows a task created on a replica that is gone: status, listing, result after approval, the tool run once', async () => {
    const first = await startApi(harness);
    const before = mcp.calls.length;
    const creator = await connected(first.url, TOKENS.carol);
    const taskId = await createTask(creator, 'k8s__delete_pod', { namespace: 'default', name: 'task-1' });
    expect(taskId).toMatch(/^mcp-/);
    await creator.close();
    await first.close();

    const carol = await connected(second.url, TOKENS.carol);
    const mallory = await connected(second.url, TOKENS.mallory);
    try {
      let approvalId: string | undefined;
      await expect
        .poll(
          async () => {
            const task = await carol.experimental.tasks.getTask(taskId);
            approvalId = /waiting for approval (\S+)/.exec(task.statusMessage ?? '')?.[1];
            return task.status === 'working' && approvalId !== undefined;
          },
          { timeout: 20_000, interval: 250 },
        )
        .toBe(true);
      expect((await carol.experimental.tasks.getTask(taskId)).statusMessage).toContain(
        'k8s/delete_pod by one of alice, bob',
      );
      expect((await carol.experimental.tasks.listTasks()).tasks.map((task) => task.taskId)).toContain(taskId);
      // Another principal's view: no such task, and none listed.
      await expect(mallory.experimental.tasks.getTask(taskId)).rejects.toThrow(/not found/i);
      expect((await mallory.experimental.tasks.listTasks()).tasks).toEqual([]);
      expect(mcp.calls.length).toBe(before);

      const result = carol.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
      expect((await approveShown(second.request, 'alice', approvalId!)).status).toBe(202);
      expect(await result).toMatchObject({
        content: [{ type: 'text', text: 'deleted pod default/task-1' }],
        _meta: {
          'toolgate/roundId': taskId,
          'toolgate/outcome': 'succeeded',
          'io.modelcontextprotocol/related-task': { taskId },
        },
      });
      expect((await carol.experimental.tasks.getTask(taskId)).status).toBe('completed');
      expect(mcp.calls.slice(before).map((call) => [call.tool, call.arguments])).toEqual([
        ['delete_pod', { namespace: 'default', name: 'task-1' }],
      ]);
    } finally {
      await carol.close();
      await mallory.close();
    }
  });

  it("lists tasks a page at a time with an opaque cursor, and answers a closed task's ttl from the retention", async () => {
    const paged = await startApi(harness, { gateway: { tasksPerPage: 1 } });
    const carol = await connected(paged.url, TOKENS.carol);
    const mallory = await connected(paged.url, TOKENS.mallory);
    try {
      const created = [
        await createTask(carol, 'k8s__echo', { message: 'page one' }),
        await createTask(carol, 'k8s__echo', { message: 'page two' }),
      ];
      for (const taskId of created) {
        await expect
          .poll(async () => (await carol.experimental.tasks.getTask(taskId)).status, { timeout: 20_000, interval: 250 })
          .toBe('completed');
      }
      const listed: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await carol.experimental.tasks.listTasks(cursor);
        expect(page.tasks.length).toBeLessThanOrEqual(1);
        listed.push(...page.tasks.map((task) => task.taskId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed).toEqual(expect.arrayContaining(created));
      await expect(carol.experimental.tasks.listTasks('not-a-cursor')).rejects.toThrow(/cursor/i);
      expect((await mallory.experimental.tasks.listTasks()).tasks).toEqual([]);

      const namespace = await harness.client.workflowService.describeNamespace({
        namespace: harness.config.temporal.namespace,
      });
      const retentionMs = Number(namespace.config!.workflowExecutionRetentionTtl!.seconds) * 1000;
      expect(retentionMs).toBeGreaterThan(0);
      const closed = await carol.experimental.tasks.getTask(created[0]!);
      expect(closed.ttl).toBeGreaterThanOrEqual(retentionMs);
      expect(closed.ttl).toBeLessThan(retentionMs + 60_000);
    } finally {
      await carol.close();
      await mallory.close();
      await paged.close();
    }
  });

  it('cancels a waiting task: its round is cancelled and the tool never runs', async () => {
    const before = mcp.calls.length;
    const carol = await connected(second.url, TOKENS.carol);
    try {
      const taskId = await createTask(carol, 'k8s__delete_pod', { namespace: 'default', name: 'task-2' });
      await expect
        .poll(async () => (await carol.experimental.tasks.getTask(taskId)).statusMessage, {
          timeout: 20_000,
          interval: 250,
        })
        .toMatch(/waiting for approval/);
      await carol.experimental.tasks.cancelTask(taskId);
      await expect
        .poll(async () => (await carol.experimental.tasks.getTask(taskId)).status, { timeout: 20_000, interval: 250 })
        .toBe('cancelled');
      expect((await second.request('carol', 'GET', `/v1/rounds/${taskId}`)).body.status).toBe('cancelled');
      expect(mcp.calls.length).toBe(before);
    } finally {
      await carol.close();
    }
  });
});

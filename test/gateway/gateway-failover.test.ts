// An API process SIGKILLed while MCP gateway calls wait for approval: the task and the plain call survive (they
// are rounds in Temporal), another replica serves the task, and each tool runs once after its approval.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { spawnApiReplica } from '../support/api-replica.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

type Notice = { progress: number; _meta?: Record<string, unknown> };

async function connected(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'gateway-failover-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('MCP gateway failover', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let survivor: ApiHarness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    survivor = await startApi(harness);
  });

  afterAll(async () => {
    await survivor?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('keeps a waiting task and a waiting call through a SIGKILL of the API that took them', async () => {
    const { port, api: doomed } = await spawnApiReplica(harness, 'gateway-failover');
    const doomedUrl = `http://127.0.0.1:${port}`;
    const before = mcp.calls.length;
    const client = await connected(doomedUrl, TOKENS.carol);

    const created = await client.request(
      {
        method: 'tools/call',
        params: { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'kill-task' }, task: {} },
      },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    const notices: Notice[] = [];
    const plain = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'kill-call' } },
      undefined,
      { onprogress: (notice) => notices.push(notice) },
    );
    const plainOutcome = plain.then(
      () => 'answered',
      () => 'broken',
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const plainRound = notices[0]!._meta?.['toolgate/roundId'] as string;
    const plainApproval = notices[0]!._meta?.['toolgate/approvalId'] as string;

    await doomed.stop('SIGKILL');
    // The client's stream resumes with Last-Event-ID only where it connected, and no replica serves that address
    // any more (gateway-resume.test.ts puts both behind one): closing the client ends the wait.
    await client.close().catch(() => undefined);
    expect(await plainOutcome).toBe('broken');
    expect(mcp.calls.length).toBe(before);

    const carol = await connected(survivor.url, TOKENS.carol);
    try {
      let taskApproval: string | undefined;
      await expect
        .poll(
          async () =>
            (taskApproval = /waiting for approval (\S+)/.exec(
              (await carol.experimental.tasks.getTask(taskId)).statusMessage ?? '',
            )?.[1]),
          { timeout: 20_000, interval: 250 },
        )
        .toBeDefined();
      const result = carol.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
      expect((await approveShown(survivor.request, 'alice', taskApproval!)).status).toBe(202);
      expect((await approveShown(survivor.request, 'bob', plainApproval)).status).toBe(202);
      expect(await result).toMatchObject({ content: [{ type: 'text', text: 'deleted pod default/kill-task' }] });
      await expect
        .poll(async () => (await survivor.request('carol', 'GET', `/v1/rounds/${plainRound}`)).body.status, {
          timeout: 20_000,
          interval: 250,
        })
        .toBe('completed');
      expect(
        mcp.calls
          .slice(before)
          .map((call) => call.arguments.name)
          .sort(),
      ).toEqual(['kill-call', 'kill-task']);
    } finally {
      await carol.close();
    }
  });
});

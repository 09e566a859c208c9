// A task-less gateway call survives its client's timeout and its API's death (docs/gateway.md, "While a call
// waits"): keep-alive progress resets a short request timeout while a human decides, and a response stream whose
// API replica is SIGKILLed is resumed by the SDK client with Last-Event-ID on another replica, which follows the
// round in Temporal and answers the ORIGINAL request.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { spawnApiReplica } from '../support/api-replica.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { forwarder } from '../support/tcp-forwarder.ts';

/** A progress notification as the client's `onprogress` gets it (the SDK's type leaves out `_meta`). */
type Notice = { progress: number; message?: string; _meta?: Record<string, unknown> };

async function connected(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'gateway-resume-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function pendingApproval(api: ApiHarness, podName: string): Promise<string> {
  let approvalId: string | undefined;
  await expect
    .poll(
      async () => {
        const listed = await api.request('alice', 'GET', '/v1/approvals?status=pending&tool=delete_pod');
        const approvals = listed.body.approvals as Array<{ approvalId: string; argsPreview: string }>;
        return (approvalId = approvals.find((item) => item.argsPreview.includes(podName))?.approvalId);
      },
      { timeout: 20_000, interval: 250 },
    )
    .toBeDefined();
  return approvalId!;
}

describe('MCP gateway: keep-alive and resumable streams', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let survivor: ApiHarness;

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({ servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true }] });
    survivor = await startApi(harness, { gateway: { keepAlive: 300 } });
  });

  afterAll(async () => {
    await survivor?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('keeps a call waiting past its request timeout with keep-alive progress that repeats what it waits for', async () => {
    const client = await connected(survivor.url, TOKENS.carol);
    try {
      const before = mcp.calls.length;
      const notices: Notice[] = [];
      const started = Date.now();
      const pending = client.callTool(
        { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'keep-1' } },
        undefined,
        { onprogress: (notice) => notices.push(notice), timeout: 1500, resetTimeoutOnProgress: true },
      );
      // Before the approval opens, a notice may say the round runs; then every notice names the approval.
      let approvalId: string | undefined;
      await expect
        .poll(
          () =>
            (approvalId = notices.find((notice) => notice._meta?.['toolgate/approvalId'])?._meta?.[
              'toolgate/approvalId'
            ] as string | undefined),
          { timeout: 20_000 },
        )
        .toBeDefined();
      // Three request timeouts long: without a notice at least every 1.5 s the call would have failed.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      expect((await approveShown(survivor.request, 'alice', approvalId!)).status).toBe(202);
      const result = await pending;
      expect(Date.now() - started).toBeGreaterThan(4500);
      expect(result.content).toEqual([{ type: 'text', text: 'deleted pod default/keep-1' }]);
      const repeats = notices.filter((notice) => notice.message?.startsWith('Still waiting'));
      expect(repeats.length).toBeGreaterThanOrEqual(5);
      expect(repeats[0]!.message).toContain(
        `Still waiting for approval ${approvalId} of k8s/delete_pod by one of alice, bob`,
      );
      expect(repeats[0]!._meta).toMatchObject({
        'toolgate/approvalId': approvalId,
        'toolgate/approvers': ['alice', 'bob'],
        'toolgate/links': { approval: `http://api.test/v1/approvals/${approvalId}` },
      });
      expect(notices.map((notice) => notice.progress)).toEqual(notices.map((_, index) => index + 1));
      expect(mcp.calls.slice(before).map((call) => call.arguments.name)).toEqual(['keep-1']);
    } finally {
      await client.close();
    }
  });

  it('resumes waiting calls on another replica after a SIGKILL: the original requests resolve, each tool runs once', async () => {
    const { port, api: doomed } = await spawnApiReplica(harness, 'gateway-resume');
    const balancer = await forwarder(port);
    const before = mcp.calls.length;
    const client = await connected(balancer.url, TOKENS.carol);
    try {
      const notices: Notice[] = [];
      const tokens: string[] = [];
      // One call follows progress, one does not: both streams carry event ids (the SDK's priming event first).
      const followed = client.callTool(
        { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'resume-progress' } },
        undefined,
        { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
      );
      const quiet = client.callTool(
        { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'resume-quiet' } },
        undefined,
        { onresumptiontoken: (token) => tokens.push(token) },
      );
      await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
      const followedApproval = notices[0]!._meta?.['toolgate/approvalId'] as string;
      const quietApproval = await pendingApproval(survivor, 'resume-quiet');
      expect(tokens.length).toBeGreaterThan(0);

      // Another principal holding the stolen event id gets nothing; neither does a made-up id.
      const stolen = await survivor.request('mallory', 'GET', '/mcp', undefined, {
        accept: 'text/event-stream',
        'last-event-id': tokens.at(-1)!,
      });
      expect(stolen.status).toBe(404);
      const madeUp = await survivor.request('carol', 'GET', '/mcp', undefined, {
        accept: 'text/event-stream',
        'last-event-id': Buffer.from('{"round":"mcp-x"}').toString('base64url'),
      });
      expect(madeUp.status).toBe(404);

      balancer.switchTo(Number(new URL(survivor.url).port));
      await doomed.stop('SIGKILL');
      // The client notices the broken streams and reconnects with Last-Event-ID through the same address, now the
      // survivor, which tells the followed call again what it waits for.
      await expect.poll(() => notices.length, { timeout: 20_000 }).toBeGreaterThan(1);
      expect(notices[1]).toMatchObject({ progress: 2, _meta: { 'toolgate/approvalId': followedApproval } });
      expect(mcp.calls.length).toBe(before);

      expect((await approveShown(survivor.request, 'alice', followedApproval)).status).toBe(202);
      expect((await approveShown(survivor.request, 'bob', quietApproval)).status).toBe(202);
      expect(await followed).toMatchObject({
        content: [{ type: 'text', text: 'deleted pod default/resume-progress' }],
        _meta: { 'toolgate/approvalId': followedApproval, 'toolgate/outcome': 'succeeded' },
      });
      expect(await quiet).toMatchObject({ content: [{ type: 'text', text: 'deleted pod default/resume-quiet' }] });
      expect(
        mcp.calls
          .slice(before)
          .map((call) => call.arguments.name)
          .sort(),
      ).toEqual(['resume-progress', 'resume-quiet']);
    } finally {
      await client.close();
      balancer.close();
      await doomed.stop('SIGKILL');
    }
  });

  it('lets a restarted client take up its call from a saved resumption token, without calling the tool again', async () => {
    const before = mcp.calls.length;
    const tokens: string[] = [];
    const first = await connected(survivor.url, TOKENS.carol);
    const abandoned = first.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'restart-1' } },
      undefined,
      { onresumptiontoken: (token) => tokens.push(token) },
    );
    const approvalId = await pendingApproval(survivor, 'restart-1');
    await first.close();
    await expect(abandoned).rejects.toThrow();

    const second = await connected(survivor.url, TOKENS.carol);
    try {
      // The SDK resumes with GET and Last-Event-ID instead of posting the request again, and answers it under
      // the new request's id.
      const resumed = second.request(
        { method: 'tools/call', params: { name: 'k8s__delete_pod', arguments: {} } },
        CallToolResultSchema,
        { resumptionToken: tokens.at(-1)! },
      );
      expect((await approveShown(survivor.request, 'bob', approvalId)).status).toBe(202);
      expect(await resumed).toMatchObject({ content: [{ type: 'text', text: 'deleted pod default/restart-1' }] });
      expect(mcp.calls.slice(before).map((call) => call.arguments.name)).toEqual(['restart-1']);
    } finally {
      await second.close();
    }
  });

  it('answers GET /mcp without Last-Event-ID with 405, as a stateless gateway', async () => {
    expect((await survivor.request('carol', 'GET', '/mcp', undefined, { accept: 'text/event-stream' })).status).toBe(
      405,
    );
  });
});

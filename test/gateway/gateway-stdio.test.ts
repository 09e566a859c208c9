// `toolgate gateway --stdio` as a local MCP client (a desktop assistant, an IDE agent) runs it: the SDK's Client
// over StdioClientTransport spawning the CLI, in front of a real API and worker whose upstream servers are npm's
// server-everything and server-filesystem (stdio) and the test server (HTTP).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElicitRequestSchema, type ElicitRequestFormParams } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { spawnApiReplica } from '../support/api-replica.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { bridgeProcess, runCli, type BridgeProcess } from '../support/stdio-bridge.ts';
import { forwarder } from '../support/tcp-forwarder.ts';
import { freePort } from '../../scripts/ports.ts';
import { RECONNECTION, RESUME_WINDOW_MS } from '../../cli/gateway-resumption.ts';

const modules = join(process.cwd(), 'node_modules/@modelcontextprotocol');
const everythingServer = join(modules, 'server-everything/dist/index.js');
const filesystemServer = join(modules, 'server-filesystem/dist/index.js');

type Notice = { progress: number; message?: string; _meta?: Record<string, unknown> };

describe('toolgate gateway --stdio', () => {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-gateway-fs-'));
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const bridges: BridgeProcess[] = [];

  beforeAll(async () => {
    writeFileSync(join(folder, 'notes.txt'), 'read through the gateway\n');
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          // carol may approve her own calls of it: the gateway asks her by elicitation.
          tools: { delete_pod: { approvers: ['carol', 'alice'], allowSelfApproval: true } },
        },
        {
          name: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [everythingServer, 'stdio'],
          trusted: true,
          approval: 'never',
        },
        {
          name: 'files',
          transport: 'stdio',
          command: process.execPath,
          args: [filesystemServer, folder],
          trusted: true,
          tools: { write_file: { approval: 'always' } },
        },
      ],
    });
    api = await startApi(harness);
  });

  afterAll(async () => {
    for (const bridge of bridges) await bridge.close();
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  async function connected(token: string = TOKENS.carol): Promise<BridgeProcess> {
    const bridge = await bridgeProcess({ url: api.url, token });
    bridges.push(bridge);
    return bridge;
  }

  it('lists the tools of every upstream server, namespaced, through the bridge', async () => {
    const { client } = await connected();
    expect(client.getServerVersion()?.name).toBe('toolgate-gateway');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['k8s__echo', 'k8s__delete_pod', 'everything__echo', 'files__read_text_file']),
    );
    expect(names).toContain('files__write_file');
    for (const prefix of ['k8s__', 'everything__', 'files__'])
      expect(names.filter((name) => name.startsWith(prefix)).length, prefix).toBeGreaterThan(1);
    expect(tools.find((tool) => tool.name === 'files__write_file')?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
  });

  it("returns a read-only call's upstream output as it is (server-everything, server-filesystem)", async () => {
    const { client } = await connected();
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'over stdio' } });
    expect(echoed.isError).toBeUndefined();
    expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: over stdio' }]);
    expect(echoed._meta).toMatchObject({ 'toolgate/outcome': 'succeeded' });

    const read = await client.callTool({
      name: 'files__read_text_file',
      arguments: { path: join(folder, 'notes.txt') },
    });
    expect(read.isError).toBeUndefined();
    expect(read.content).toEqual([{ type: 'text', text: 'read through the gateway\n' }]);
    // The round is the caller's, readable through the HTTP API like any other.
    const roundId = read._meta?.['toolgate/roundId'] as string;
    expect((await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body).toMatchObject({
      requester: 'carol',
      status: 'completed',
      toolCalls: [{ server: 'files', tool: 'read_text_file', outcome: 'succeeded' }],
    });
  });

  it('holds a gated write until it is approved over HTTP, passing progress through; the file is written once', async () => {
    const { client } = await connected();
    const target = join(folder, 'approved.txt');
    const notices: Notice[] = [];
    const pending = client.callTool(
      { name: 'files__write_file', arguments: { path: target, content: 'written once\n' } },
      undefined,
      { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
    expect(notices[0]!.message).toContain(
      `Waiting for approval ${approvalId} of files/write_file by one of alice, bob`,
    );
    expect(existsSync(target)).toBe(false);

    expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
    const result = await pending;
    expect(result.isError).toBeUndefined();
    expect(result._meta).toMatchObject({ 'toolgate/approvalId': approvalId, 'toolgate/outcome': 'succeeded' });
    expect(readFileSync(target, 'utf8')).toBe('written once\n');
    // Exactly once: the round's history holds one write_file call, and it succeeded.
    const roundId = result._meta?.['toolgate/roundId'] as string;
    const round = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body;
    expect(round.toolCalls).toEqual([expect.objectContaining({ tool: 'write_file', outcome: 'succeeded' })]);
    expect(round.approvals).toEqual([
      expect.objectContaining({
        approvalId,
        status: 'approved',
        decision: expect.objectContaining({ approver: { id: 'alice', channel: 'http' } }),
      }),
    ]);
  });

  it('answers a rejected call as an MCP tool error, the file never written', async () => {
    const { client } = await connected();
    const target = join(folder, 'rejected.txt');
    const notices: Notice[] = [];
    const pending = client.callTool(
      { name: 'files__write_file', arguments: { path: target, content: 'never\n' } },
      undefined,
      { onprogress: (notice) => notices.push(notice) },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
    const { argsDigest } = (await api.request('bob', 'GET', `/v1/approvals/${approvalId}`)).body;
    const decided = await api.request('bob', 'POST', `/v1/approvals/${approvalId}`, {
      decision: 'reject',
      reason: 'not that file',
      argsDigest,
    });
    expect(decided.status).toBe(202);
    const result = await pending;
    expect(result).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'rejected' } });
    expect(JSON.stringify(result.content)).toContain('not that file');
    expect(existsSync(target)).toBe(false);
  });

  it("passes the gateway's elicitation to the client and its answer back: approved by the caller, channel mcp", async () => {
    const forms: ElicitRequestFormParams[] = [];
    const before = mcp.calls.length;
    const bridge = await bridgeProcess({
      url: api.url,
      token: TOKENS.carol,
      capabilities: { capabilities: { elicitation: { form: {} } } },
      prepare: (client) =>
        client.setRequestHandler(ElicitRequestSchema, (request) => {
          forms.push(request.params as ElicitRequestFormParams);
          return { action: 'accept', content: { decision: 'approve' } };
        }),
    });
    bridges.push(bridge);
    const result = await bridge.client.callTool({
      name: 'k8s__delete_pod',
      arguments: { namespace: 'default', name: 'elicited-1' },
    });
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: 'deleted pod default/elicited-1' }]);
    expect(forms).toHaveLength(1);
    const approvalId = result._meta?.['toolgate/approvalId'] as string;
    expect(forms[0]!.message).toContain(approvalId);
    expect(forms[0]!.message).toContain('elicited-1');
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body).toMatchObject({
      status: 'approved',
      decision: { approver: { id: 'carol', channel: 'mcp' } },
    });
    expect(mcp.calls.slice(before).map((call) => [call.tool, call.arguments])).toEqual([
      ['delete_pod', { namespace: 'default', name: 'elicited-1' }],
    ]);
  });

  it('resumes a waiting call on another replica when its API is SIGKILLed: the original call resolves, runs once', async () => {
    // Two replicas behind one address: a spawned API the test kills, and the harness's API that survives.
    const { port, api: doomed } = await spawnApiReplica(harness, 'gateway-stdio-resume');
    const balancer = await forwarder(port);
    try {
      const bridge = await bridgeProcess({ url: balancer.url, token: TOKENS.carol });
      bridges.push(bridge);
      const target = join(folder, 'resumed.txt');
      const notices: Notice[] = [];
      const pending = bridge.client.callTool(
        { name: 'files__write_file', arguments: { path: target, content: 'resumed once\n' } },
        undefined,
        { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
      );
      await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
      const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;

      balancer.switchTo(Number(new URL(api.url).port));
      await doomed.stop('SIGKILL');
      // The bridge's transport reconnects with Last-Event-ID through the same address, now the survivor, which
      // tells the call again what it waits for, counting on from the first notice.
      await expect.poll(() => notices.length, { timeout: 20_000 }).toBeGreaterThan(1);
      expect(notices[1]).toMatchObject({ progress: 2, _meta: { 'toolgate/approvalId': approvalId } });
      expect(bridge.stderr()).toContain('SSE stream disconnected');
      expect(existsSync(target)).toBe(false);

      expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
      const result = await pending;
      expect(result.isError).toBeUndefined();
      expect(result._meta).toMatchObject({ 'toolgate/approvalId': approvalId, 'toolgate/outcome': 'succeeded' });
      expect(readFileSync(target, 'utf8')).toBe('resumed once\n');
      const roundId = result._meta?.['toolgate/roundId'] as string;
      const round = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body;
      expect(round.toolCalls).toEqual([expect.objectContaining({ tool: 'write_file', outcome: 'succeeded' })]);
      expect(bridge.stderr()).not.toContain('ended before the answer');
    } finally {
      balancer.close();
      await doomed.stop('SIGKILL');
    }
  });

  it(
    'answers a call whose stream breaks with an error once no replica came back to resume it; the round runs once',
    async () => {
      const balancer = await forwarder(Number(new URL(api.url).port));
      try {
        const bridge = await bridgeProcess({ url: balancer.url, token: TOKENS.carol });
        bridges.push(bridge);
        const target = join(folder, 'after-break.txt');
        const notices: Notice[] = [];
        const pending = bridge.client.callTool(
          { name: 'files__write_file', arguments: { path: target, content: 'after the break\n' } },
          undefined,
          { onprogress: (notice) => notices.push(notice) },
        );
        await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
        const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
        const roundId = notices[0]!._meta?.['toolgate/roundId'] as string;
        // Nothing listens behind the address any more: every reconnection is refused.
        balancer.switchTo(await freePort());
        const broken = Date.now();
        balancer.cut();
        await expect(pending).rejects.toThrow(/ended before the answer/);
        // The bridge tried for its whole window, and answered well before the client's own 60 s timeout.
        const waited = Date.now() - broken;
        expect(waited).toBeGreaterThanOrEqual(RESUME_WINDOW_MS - 100);
        expect(waited).toBeLessThan(RESUME_WINDOW_MS + 10_000);
        // The SDK says it gave up right after the failed attempt that made the bridge answer: its line may reach
        // the bridge's stderr pipe after the answer reached the client.
        await expect
          .poll(() => bridge.stderr(), { timeout: 5_000 })
          .toContain(`Maximum reconnection attempts (${RECONNECTION.maxRetries}) exceeded`);
        expect(bridge.stderr()).toContain('ended before the answer');

        // The API is back: the bridge stays usable, and the call, approved later, runs once.
        balancer.switchTo(Number(new URL(api.url).port));
        expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
        expect((await approveShown(api.request, 'bob', approvalId)).status).toBe(202);
        await expect
          .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, {
            timeout: 20_000,
          })
          .toBe('completed');
        expect(readFileSync(target, 'utf8')).toBe('after the break\n');
        const round = (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body;
        expect(round.toolCalls).toEqual([expect.objectContaining({ tool: 'write_file', outcome: 'succeeded' })]);
      } finally {
        balancer.close();
      }
    },
    RESUME_WINDOW_MS + 60_000,
  );

  it('writes MCP only on stdout and says what it does on stderr', async () => {
    const bridge = await connected();
    await bridge.client.callTool({ name: 'k8s__echo', arguments: { message: 'quiet' } });
    // Every stdout line the client read parsed as JSON-RPC (the SDK would have reported anything else).
    expect(bridge.protocolErrors).toEqual([]);
    expect(bridge.stderr()).toContain(`toolgate gateway: MCP on stdio, forwarded to ${api.url}/mcp`);
  });

  it('exits 3 with a clear message when the API refuses the token, and 4 when it cannot be reached', async () => {
    const refused = await runCli(['gateway', '--stdio', '--url', api.url], {
      TOOLGATE_TOKEN: 'not-a-token-0123456789',
    });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/401.*unauthorized.*\(check --token or TOOLGATE_TOKEN\)/s);

    const unreachable = await runCli(['gateway', '--stdio', '--url', 'http://127.0.0.1:9'], {
      TOOLGATE_TOKEN: TOKENS.carol,
    });
    expect(unreachable.code).toBe(4);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toContain('cannot reach the API at http://127.0.0.1:9/mcp');

    const help = await runCli(['gateway', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: toolgate gateway --stdio [--header 'Name: value']");
    const usage = await runCli(['gateway', '--url', api.url], { TOOLGATE_TOKEN: TOKENS.carol });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('gateway needs --stdio');
    const secret = await runCli(['gateway', '--stdio', '--header', 'X-Kube-Token=s3cret'], {
      TOOLGATE_TOKEN: TOKENS.carol,
    });
    expect(secret.code).toBe(2);
    expect(secret.stderr).not.toContain('s3cret');
  });

  it('exits 0 when its client closes stdin', async () => {
    const bridge = await connected();
    await bridge.client.listTools();
    expect(await bridge.close()).toBe(0);
  });
});

// @modelcontextprotocol/inspector's CLI mode (the inspector-cli package, v1: the MCP SDK 1.x the gateway speaks)
// as a real third-party client of the gateway: on Streamable HTTP with a bearer header, and spawning
// `toolgate gateway --stdio` as a local server. It runs offline: no npx, the copy in node_modules.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, startApi, TOKENS, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { CLI, NODE } from '../support/stdio-bridge.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

const modules = join(process.cwd(), 'node_modules');
const inspectorCli = join(modules, '@modelcontextprotocol/inspector-cli/build/cli.js');
const everythingServer = join(modules, '@modelcontextprotocol/server-everything/dist/index.js');

interface Inspected {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as the JSON document the inspector prints, when it is one. */
  json: any;
}

/**
 * `mcp-inspector-cli --cli <target...> <options>`. Its launcher runs `node` from PATH for the client: the
 * package's Node 24 comes first, as `npm run` would put it.
 */
function inspector(args: string[], env: Record<string, string> = {}): Promise<Inspected> {
  return new Promise((resolve) => {
    const child = execFile(
      NODE,
      [inspectorCli, '--cli', ...args],
      {
        env: { PATH: `${join(modules, '.bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '', ...env },
        // 1.0.3 looks for its package.json with existsSync('../package.json') (relative to the working
        // directory) and imports it relative to itself: run from its own build folder, or it finds nothing.
        cwd: dirname(inspectorCli),
        timeout: 45_000,
      },
      (error, stdout, stderr) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr, json });
      },
    );
    child.stdin?.end();
  });
}

describe('@modelcontextprotocol/inspector CLI mode against the gateway', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const overHttp = (token: string) => [
    `${api.url}/mcp`,
    '--transport',
    'http',
    '--header',
    `Authorization: Bearer ${token}`,
  ];

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      servers: [
        { name: 'k8s', transport: 'http', url: mcp.url, trusted: true },
        {
          name: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [everythingServer, 'stdio'],
          trusted: true,
          approval: 'never',
        },
      ],
    });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  it('lists the namespaced tools over Streamable HTTP with a bearer header', async () => {
    const listed = await inspector([...overHttp(TOKENS.carol), '--method', 'tools/list']);
    expect(listed.code, listed.stderr).toBe(0);
    const names = (listed.json.tools as Array<{ name: string }>).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['k8s__echo', 'k8s__delete_pod', 'everything__echo']));
  });

  it('calls a read-only tool over Streamable HTTP and prints the upstream output', async () => {
    const called = await inspector([
      ...overHttp(TOKENS.carol),
      '--method',
      'tools/call',
      '--tool-name',
      'everything__echo',
      '--tool-arg',
      'message=from the inspector',
    ]);
    expect(called.code, called.stderr).toBe(0);
    expect(called.json).toMatchObject({
      content: [{ type: 'text', text: 'Echo: from the inspector' }],
      _meta: { 'toolgate/outcome': 'succeeded' },
    });
    expect(called.json.isError).toBeUndefined();
  });

  it('waits on a gated call until an approver decides over HTTP, the tool running once', async () => {
    const before = mcp.calls.length;
    const called = inspector([
      ...overHttp(TOKENS.carol),
      '--method',
      'tools/call',
      '--tool-name',
      'k8s__delete_pod',
      '--tool-arg',
      'namespace=default',
      'name=inspected-1',
    ]);
    let approvalId: string | undefined;
    await expect
      .poll(
        async () => {
          const listed = await api.request('alice', 'GET', '/v1/approvals?status=pending&tool=delete_pod');
          const approvals = listed.body.approvals as Array<{ approvalId: string; arguments?: unknown }>;
          return (approvalId = approvals.find((item) => JSON.stringify(item).includes('inspected-1'))?.approvalId);
        },
        { timeout: 20_000 },
      )
      .toBeDefined();
    expect(mcp.calls.length).toBe(before);
    expect((await approveShown(api.request, 'alice', approvalId!)).status).toBe(202);
    const result = await called;
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({
      content: [{ type: 'text', text: 'deleted pod default/inspected-1' }],
      _meta: { 'toolgate/approvalId': approvalId, 'toolgate/outcome': 'succeeded' },
    });
    expect(mcp.calls.slice(before).map((call) => [call.tool, call.arguments])).toEqual([
      ['delete_pod', { namespace: 'default', name: 'inspected-1' }],
    ]);
  });

  it('is refused without a valid token', async () => {
    const refused = await inspector([...overHttp('not-a-token-0123456789'), '--method', 'tools/list']);
    expect(refused.code).not.toBe(0);
    expect(refused.json).toBeUndefined();
    expect(refused.stderr).toMatch(/401|unauthorized/i);
  });

  it('spawns toolgate gateway --stdio as a local server: tools/list and tools/call', async () => {
    const bridge = [NODE, CLI, 'gateway', '--stdio', '--url', api.url];
    const env = { TOOLGATE_TOKEN: TOKENS.carol };
    const listed = await inspector([...bridge, '--method', 'tools/list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect((listed.json.tools as Array<{ name: string }>).map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['k8s__echo', 'everything__echo']),
    );
    const called = await inspector(
      [...bridge, '--method', 'tools/call', '--tool-name', 'k8s__echo', '--tool-arg', 'message=over the bridge'],
      env,
    );
    expect(called.code, called.stderr).toBe(0);
    expect(called.json).toMatchObject({ content: [{ type: 'text', text: 'echo: over the bridge' }] });
  });
});

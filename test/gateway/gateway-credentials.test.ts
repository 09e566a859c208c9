// Per-user credentials through the MCP gateway: a server configured with `userCredential` gets the caller's own
// token on a gateway call (the header sent with /mcp, or given to `toolgate gateway --stdio`), sealed into the
// round's input exactly as for POST /v1/rounds, and the token is never readable in the round's history, memo,
// search attributes or the API's answers.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveShown, TOKENS } from '../support/api-harness.ts';
import { decodedHistoryTexts } from '../support/history-payloads.ts';
import { startSealedStack, type SealedStack } from '../support/sealed-stack.ts';
import { bridgeProcess } from '../support/stdio-bridge.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const KUBE_HEADER = 'X-Kube-Token';

describe('per-user credentials through the MCP gateway', () => {
  const valid = new Set<string>();
  let stack: SealedStack;

  beforeAll(async () => {
    stack = await startSealedStack({
      name: 'gateway-credentials-test',
      mcp: { authorize: (authorization) => authorization !== undefined && valid.has(authorization) },
      k8s: { userCredential: { fromHeader: KUBE_HEADER } },
      config: () => ({
        approvals: { approvers: ['alice'] },
        signing: TEST_SIGNING,
        codec: { keys: [{ id: 'k1', secret: randomBytes(32).toString('base64') }] },
      }),
    });
  });

  afterAll(() => stack?.close());

  async function overHttp(credential: string): Promise<Client> {
    const transport = new StreamableHTTPClientTransport(new URL(`${stack.api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKENS.carol}`, [KUBE_HEADER]: credential } },
    });
    const client = new Client({ name: 'gateway-credentials-test', version: '1.0.0' });
    await client.connect(transport);
    return client;
  }

  /** Every place a round's secrets must not be: the decoded history, the description (memo, search attributes), the API's answers. */
  async function whereSecretsMustNotBe(roundId: string): Promise<string[]> {
    const handle = stack.client.workflow.getHandle(roundId);
    const decoded = await decodedHistoryTexts(await handle.fetchHistory(), stack.codec);
    const input = decoded.find(({ path }) => path.includes('workflowExecutionStartedEventAttributes.input'));
    // The input holds the credential, sealed: the place a leak would be.
    expect(input?.text).toMatch(/"credentials":\{"k8s":\{"keyId":"k1","sealed":/);
    const description = await handle.describe();
    return [
      ...decoded.map(({ text }) => text),
      JSON.stringify(await handle.fetchHistory()),
      JSON.stringify({ memo: description.memo, attributes: description.typedSearchAttributes }),
      JSON.stringify((await stack.api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body),
      JSON.stringify((await stack.api.request('alice', 'GET', `/v1/rounds/${roundId}`)).body),
    ];
  }

  it("calls with the caller's own token over Streamable HTTP, read-only and after an approval; the token stays sealed", async () => {
    const credential = `carol-${randomUUID()}`;
    valid.add(`Bearer ${credential}`);
    const client = await overHttp(credential);
    try {
      const read = (await client.callTool({
        name: 'k8s__echo',
        arguments: { message: 'with my token' },
      })) as CallToolResult;
      expect(read.content).toEqual([{ type: 'text', text: 'echo: with my token' }]);

      const pending = client.callTool({ name: 'k8s__delete_pod', arguments: { namespace: 'dev', name: 'cred-1' } });
      let approvalId: string | undefined;
      await expect
        .poll(
          async () => {
            const listed = await stack.api.request('alice', 'GET', '/v1/approvals?status=pending&tool=delete_pod');
            return (approvalId = (listed.body.approvals as Array<{ approvalId: string }>)[0]?.approvalId);
          },
          { timeout: 20_000 },
        )
        .toBeDefined();
      const shown = JSON.stringify((await stack.api.request('alice', 'GET', `/v1/approvals/${approvalId}`)).body);
      expect(shown).toContain('cred-1');
      expect(shown).not.toContain(credential);
      expect((await approveShown(stack.api.request, 'alice', approvalId!)).status).toBe(202);
      const deleted = (await pending) as CallToolResult;
      expect(deleted.isError).toBeUndefined();

      const byArgument = (key: string, value: string) => stack.mcp.calls.find((call) => call.arguments[key] === value);
      expect(byArgument('message', 'with my token')?.authorization).toBe(`Bearer ${credential}`);
      expect(byArgument('name', 'cred-1')?.authorization).toBe(`Bearer ${credential}`);

      for (const result of [read, deleted]) {
        const roundId = result._meta?.['toolgate/roundId'] as string;
        for (const text of await whereSecretsMustNotBe(roundId)) expect(text).not.toContain(credential);
      }
    } finally {
      await client.close();
    }
  });

  it('refuses a call without the credential before it reaches the server', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${stack.api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKENS.carol}` } },
    });
    const client = new Client({ name: 'gateway-credentials-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'k8s__echo', arguments: { message: 'no token' } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain("acts with the requester's own credential");
      expect(stack.mcp.calls.some((call) => call.arguments.message === 'no token')).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('passes the credential from toolgate gateway --stdio --header-env, never on its command line', async () => {
    const credential = `carol-stdio-${randomUUID()}`;
    valid.add(`Bearer ${credential}`);
    const bridge = await bridgeProcess({
      url: stack.api.url,
      token: TOKENS.carol,
      args: ['--header-env', `${KUBE_HEADER}=KUBE_TOKEN`],
      env: { KUBE_TOKEN: credential },
    });
    try {
      const result = (await bridge.client.callTool({
        name: 'k8s__echo',
        arguments: { message: 'stdio with my token' },
      })) as CallToolResult;
      expect(result.content).toEqual([{ type: 'text', text: 'echo: stdio with my token' }]);
      const call = stack.mcp.calls.find((item) => item.arguments.message === 'stdio with my token');
      expect(call?.authorization).toBe(`Bearer ${credential}`);
      const roundId = result._meta?.['toolgate/roundId'] as string;
      for (const text of await whereSecretsMustNotBe(roundId)) expect(text).not.toContain(credential);
      expect(bridge.stderr()).not.toContain(credential);
    } finally {
      await bridge.close();
    }
  });
});

// MCP elicitation through the gateway (docs/gateway.md): a caller whom policy lets approve their own call gets a
// form on the tools/call's stream (the SDK's Client with the elicitation capability, over Streamable HTTP), and
// their answer, POSTed anew to the stateless /mcp, becomes a decision the API signs, recorded with channel `mcp`.
// Also: tools/list shows each caller only the tools they can ever get run.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  type ElicitResult,
  type ElicitRequestFormParams,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elicitationId } from '../../api/gateway-elicitation.ts';
import { chainEntries, verifyAuditExport, type AuditEntry } from '../../runtime/audit.ts';
import { argumentsText } from '../../workflows/shared/visible-text.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY, testSigner } from '../../testkit/signing.ts';
import { approveShown, startApi, TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';

type Notice = { progress: number; message?: string; _meta?: Record<string, unknown> };
type Answer = (form: ElicitRequestFormParams) => ElicitResult | Promise<ElicitResult>;
/** A form as the client got it: its JSON-RPC id and its parameters. */
type Form = { id: string | number; params: ElicitRequestFormParams };

const KEYS = [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }];

describe('MCP gateway elicitation', () => {
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const clients: Client[] = [];

  beforeAll(async () => {
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      approvals: { groups: { ops: ['carol', 'alice'] } },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          tools: {
            // carol may approve her own calls of it; so may alice.
            delete_pod: { approvers: ['carol', 'alice'], allowSelfApproval: true },
            // Only alice decides.
            scale_deployment: { approvers: ['alice'] },
            // Only carol could decide, and not her own calls: out of her reach, within alice's.
            write_file: { approval: 'always', approvers: ['carol'] },
            // Two of ops (carol, alice): never for either of them, who cannot count for their own calls.
            fail: { approval: 'always', quorum: [{ group: 'ops', count: 2 }] },
          },
        },
      ],
    });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await api?.close();
    await harness?.close();
    await mcp?.close();
  });

  /** A connected client of `person`; with `answer`, it declares form elicitation and answers forms so. */
  async function connected(person: Person, answer?: Answer): Promise<{ client: Client; forms: Form[] }> {
    const forms: Form[] = [];
    const client = new Client(
      { name: 'elicitation-test', version: '1.0.0' },
      answer ? { capabilities: { elicitation: { form: {} } } } : {},
    );
    if (answer) {
      client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
        const params = request.params as ElicitRequestFormParams;
        forms.push({ id: extra.requestId, params });
        return answer(params);
      });
    }
    const transport = new StreamableHTTPClientTransport(new URL(`${api.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKENS[person]}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return { client, forms };
  }

  function callsOf(tool: string, since: number) {
    return mcp.calls.slice(since).filter((call) => call.tool === tool);
  }

  async function appliedDecisions(): Promise<number> {
    const text = String((await api.request(undefined, 'GET', '/metrics')).body);
    return Number(/^toolgate_api_decisions_total\{result="applied"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  async function auditEntriesOf(roundId: string): Promise<AuditEntry[]> {
    const audit = await api.request('carol', 'GET', '/v1/audit?requester=carol');
    return (audit.body.entries as AuditEntry[]).filter((entry) => entry.roundId === roundId);
  }

  it('asks a self-approving caller with every argument; accept and approve runs the call once, signed, channel mcp', async () => {
    const { client, forms } = await connected('carol', () => ({ action: 'accept', content: { decision: 'approve' } }));
    const before = mcp.calls.length;
    const appliedBefore = await appliedDecisions();
    // Long, and with a right-to-left override the form must show escaped.
    const name = `web-${'x'.repeat(3000)}\u202e1`;
    const result = await client.callTool({ name: 'k8s__delete_pod', arguments: { namespace: 'default', name } });
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: `deleted pod default/${name}` }]);
    expect(callsOf('delete_pod', before)).toHaveLength(1);

    expect(forms).toHaveLength(1);
    const form = forms[0]!.params;
    const approvalId = result._meta?.['toolgate/approvalId'] as string;
    const view = (await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body;
    expect(form.message).toContain(`Tool: k8s/delete_pod`);
    expect(form.message).toContain(approvalId);
    expect(form.message).toContain(view.argsDigest);
    expect(form.message).toContain(argumentsText({ namespace: 'default', name }).text);
    expect(form.message).toContain('\\u202e1');
    expect(form.message).not.toContain('\u202e');
    expect(form.message).toMatch(/text of the model or client that made the call/);
    expect(form.requestedSchema.required).toEqual(['decision']);

    expect(view).toMatchObject({ status: 'approved', decision: { approver: { id: 'carol', channel: 'mcp' } } });
    const entries = await auditEntriesOf(result._meta?.['toolgate/roundId'] as string);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      outcome: 'approved',
      decision: { approver: { id: 'carol', channel: 'mcp' }, argsDigest: view.argsDigest },
    });
    expect(entries[0]!.decision!.signature?.keyId).toBe(TEST_KEY_ID);
    const ndjson = entries.map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(ndjson, KEYS)).toMatchObject({ ok: true, signatures: 1 });
    // The signature covers the channel: the same entry claiming HTTP, re-chained so the hashes hold, fails.
    const relabelled = chainEntries(
      entries.map(({ seq: _seq, prevHash: _prev, hash: _hash, ...line }) => ({
        ...line,
        decision: { ...line.decision!, approver: { id: 'carol', channel: 'http' as const } },
      })),
    );
    expect(verifyAuditExport(relabelled.map((line) => JSON.stringify(line)).join('\n'), KEYS)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/signature/),
    });
    const document = JSON.stringify((await api.request(undefined, 'GET', '/openapi.json')).body);
    expect(document, 'OpenAPI names the channel').toContain('"mcp"');
    expect(await appliedDecisions(), 'counted with the HTTP decisions').toBe(appliedBefore + 1);
  });

  it('turns accept and reject into a rejection with its reason: the tool never runs', async () => {
    const { client, forms } = await connected('carol', () => ({
      action: 'accept',
      content: { decision: 'reject', reason: 'wrong pod' },
    }));
    const before = mcp.calls.length;
    const result = await client.callTool({
      name: 'k8s__delete_pod',
      arguments: { namespace: 'default', name: 'keep-me' },
    });
    expect(forms).toHaveLength(1);
    expect(result).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'rejected' } });
    expect(JSON.stringify(result.content)).toContain('wrong pod');
    expect(callsOf('delete_pod', before)).toHaveLength(0);
    const approvalId = result._meta?.['toolgate/approvalId'] as string;
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body).toMatchObject({
      status: 'rejected',
      decision: { approver: { id: 'carol', channel: 'mcp' }, reason: 'wrong pod' },
    });
  });

  it('leaves a declined form pending for the other channels: approved over HTTP, the call runs once', async () => {
    const { client, forms } = await connected('carol', () => ({ action: 'decline' }));
    const before = mcp.calls.length;
    const notices: Notice[] = [];
    const pending = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'declined-1' } },
      undefined,
      { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    expect(notices[0]!.message).toMatch(/declining or cancelling it leaves the approval pending/);
    await expect.poll(() => forms.length, { timeout: 20_000 }).toBe(1);
    const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
    // The decline reached the gateway and decided nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body.status).toBe('pending');
    expect(callsOf('delete_pod', before)).toHaveLength(0);
    expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
    const result = await pending;
    expect(result.isError).toBeUndefined();
    expect(callsOf('delete_pod', before)).toHaveLength(1);
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body.decision.approver).toEqual({
      id: 'alice',
      channel: 'http',
    });
  });

  it('asks again on a resumed stream: a client that lost the form answers it after resuming, the call runs once', async () => {
    const first = await connected('carol', () => ({ action: 'decline' }));
    const before = mcp.calls.length;
    const tokens: string[] = [];
    const abandoned = first.client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'resumed-form-1' } },
      undefined,
      { onresumptiontoken: (token) => tokens.push(token) },
    );
    await expect.poll(() => first.forms.length, { timeout: 20_000 }).toBe(1);
    await first.client.close();
    await expect(abandoned).rejects.toThrow();

    const second = await connected('carol', () => ({ action: 'accept', content: { decision: 'approve' } }));
    const resumed = second.client.request(
      { method: 'tools/call', params: { name: 'k8s__delete_pod', arguments: {} } },
      CallToolResultSchema,
      { resumptionToken: tokens.at(-1)! },
    );
    const result = await resumed;
    expect(second.forms).toHaveLength(1);
    expect(second.forms[0]!.params.message).toContain('resumed-form-1');
    expect(result.isError).toBeUndefined();
    expect(callsOf('delete_pod', before)).toHaveLength(1);
    const approvalId = result._meta?.['toolgate/approvalId'] as string;
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body.decision.approver).toEqual({
      id: 'carol',
      channel: 'mcp',
    });
  });

  it('sends no form where the caller may not approve, or the client takes none, and says who must decide', async () => {
    const { client, forms } = await connected('carol', () => ({ action: 'accept', content: { decision: 'approve' } }));
    const before = mcp.calls.length;
    const notices: Notice[] = [];
    const pending = client.callTool(
      { name: 'k8s__scale_deployment', arguments: { namespace: 'default', name: 'web', replicas: 2 } },
      undefined,
      { onprogress: (notice) => notices.push(notice), resetTimeoutOnProgress: true },
    );
    await expect.poll(() => notices.length, { timeout: 20_000 }).toBe(1);
    const approvalId = notices[0]!._meta?.['toolgate/approvalId'] as string;
    expect(notices[0]!.message).toContain('by one of alice');
    expect(notices[0]!.message).toContain(
      'carol requested this call and may not approve it: one of the approvers decides it',
    );
    expect(notices[0]!.message).toContain(`toolgate approve ${approvalId}`);
    expect((await approveShown(api.request, 'alice', approvalId)).status).toBe(202);
    expect((await pending).isError).toBeUndefined();
    expect(forms).toHaveLength(0);
    expect(callsOf('scale_deployment', before)).toHaveLength(1);

    // A client that declared no elicitation is told it may decide, and how.
    const plain = (await connected('carol')).client;
    const told: Notice[] = [];
    const waiting = plain.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'no-form-1' } },
      undefined,
      { onprogress: (notice) => told.push(notice), resetTimeoutOnProgress: true },
    );
    await expect.poll(() => told.length, { timeout: 20_000 }).toBe(1);
    expect(told[0]!.message).toContain('You may decide it yourself');
    expect(told[0]!.message).toContain('your client takes no elicitation forms');
    expect((await approveShown(api.request, 'carol', told[0]!._meta?.['toolgate/approvalId'] as string)).status).toBe(
      202,
    );
    expect((await waiting).isError).toBeUndefined();
  });

  it('refuses a forged answer (another principal, another digest, a made-up tag) and approves nothing', async () => {
    // The client never answers: the test answers in its place.
    const { client, forms } = await connected('carol', () => new Promise<ElicitResult>(() => undefined));
    const before = mcp.calls.length;
    const pending = client.callTool(
      { name: 'k8s__delete_pod', arguments: { namespace: 'default', name: 'forged-1' } },
      undefined,
      { timeout: 120_000 },
    );
    await expect.poll(() => forms.length, { timeout: 20_000 }).toBe(1);
    const id = forms[0]!.id as string;
    const [, approvalId, argsDigest] = /^toolgate-elicit:([^:]+):([0-9a-f]{64}):[0-9a-f]{32}$/.exec(id)!;
    const answer = (answerId: string, decision = 'approve') => ({
      jsonrpc: '2.0',
      id: answerId,
      result: { action: 'accept', content: { decision } },
    });
    const mcpHeaders = { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    // alice may decide this approval, but the form was not hers.
    const byAlice = await api.request('alice', 'POST', '/mcp', answer(id), mcpHeaders);
    expect(byAlice.status).toBe(403);
    expect(byAlice.body.error.code).toBe('not_your_elicitation');
    // Another digest with carol's old tag, and a tag nobody made.
    const otherDigest = id.replace(argsDigest!, 'a'.repeat(64));
    expect((await api.request('carol', 'POST', '/mcp', answer(otherDigest), mcpHeaders)).status).toBe(403);
    const madeUp = id.replace(/[0-9a-f]{32}$/, '0'.repeat(32));
    expect((await api.request('carol', 'POST', '/mcp', answer(madeUp), mcpHeaders)).status).toBe(403);
    // A well-made id for other arguments (as if they changed): the digest check refuses it.
    const stale = elicitationId(testSigner, 'carol', approvalId!, 'b'.repeat(64));
    const staleAnswer = await api.request('carol', 'POST', '/mcp', answer(stale), mcpHeaders);
    expect(staleAnswer.status).toBe(422);
    expect(staleAnswer.body.error.code).toBe('digest_mismatch');
    // A content that is no decision.
    expect((await api.request('carol', 'POST', '/mcp', answer(id, 'maybe'), mcpHeaders)).status).toBe(400);
    expect((await api.request('carol', 'GET', `/v1/approvals/${approvalId}`)).body.status).toBe('pending');
    expect(callsOf('delete_pod', before)).toHaveLength(0);

    // carol's own answer, from any client, decides it.
    const taken = await api.request('carol', 'POST', '/mcp', answer(id), mcpHeaders);
    expect(taken.status).toBe(202);
    expect(taken.body).toMatchObject({ decided: true, decision: { status: 'approved' } });
    expect((await pending).isError).toBeUndefined();
    expect(callsOf('delete_pod', before)).toHaveLength(1);
  });

  describe('tools/list by caller', () => {
    async function names(person: Person): Promise<string[]> {
      const { client } = await connected(person);
      return (await client.listTools()).tools.map((tool) => tool.name);
    }

    it('hides the tools a caller can never get run, and answers a call of one as an unknown tool', async () => {
      const [carol, alice, bob] = [await names('carol'), await names('alice'), await names('bob')];
      expect(carol).toEqual(expect.arrayContaining(['k8s__delete_pod', 'k8s__scale_deployment', 'k8s__echo']));
      // carol could approve alice's and bob's write_file; a quorum of two in ops counts both of them for bob only.
      expect(bob.filter((name) => !carol.includes(name)).sort()).toEqual(['k8s__fail', 'k8s__write_file']);
      expect(alice.filter((name) => !carol.includes(name))).toEqual(['k8s__write_file']);
      expect(carol.filter((name) => !bob.includes(name))).toEqual([]);

      const { client } = await connected('carol');
      const before = mcp.calls.length;
      const hidden = await client.callTool({ name: 'k8s__write_file', arguments: { path: '/tmp/x', content: 'x' } });
      const unknown = await client.callTool({ name: 'k8s__no_such_tool', arguments: {} });
      expect(hidden).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'invalid' } });
      expect(hidden.content).toEqual([{ type: 'text', text: "Tool 'k8s__write_file' is not available." }]);
      expect(unknown).toMatchObject({ isError: true, _meta: { 'toolgate/outcome': 'invalid' } });
      expect(JSON.stringify(unknown.content)).toContain("Tool 'k8s__no_such_tool' is not available.");
      expect(mcp.calls.length).toBe(before);
    });
  });
});

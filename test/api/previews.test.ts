// Previews through the API, the CLI and the audit trail: the approval shows the preview in full (lists only its
// summary), a decision naming another preview is refused, the CLI prints it escaped and sends its digest, and the
// audit entry names the preview and the signed digest the approver sent.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { TOKENS, startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY } from '../../testkit/signing.ts';
import { chainEntries, verifyAuditExport, type AuditEntry } from '../../runtime/audit.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { TOOLGATE_URL: _url, TOOLGATE_TOKEN: _token, ...env } = process.env;
  const child = spawn(process.execPath, ['cli/main.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A path an MCP server echoes back into the preview: a colour escape and a right-to-left override. */
const HOSTILE_PATH = 'notes/\u001b[31mred\u202etxt.exe';

describe('previews through the API', () => {
  let temporal: DevServer;
  let mcp: HttpMcpServer;
  let harness: Harness;
  let api: ApiHarness;
  const as = (person: Person) => ['--url', api.url, '--token', TOKENS[person]];

  beforeAll(async () => {
    // A server of its own: the audit lists whole namespaces.
    temporal = await startDevServer({ ui: false });
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      temporalAddress: temporal.address,
      approvals: { approvers: ['alice'] },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          tools: {
            write_file: { preview: { tool: 'echo', arguments: { message: 'path' } } },
            delete_pod: { preview: { tool: 'read_record', arguments: { key: 'name' } } },
          },
        },
      ],
    });
    api = await startApi(harness);
  });

  afterAll(async () => {
    await api?.close();
    await harness?.close();
    await mcp?.close();
    await temporal?.stop();
  });

  async function pendingOf(marker: string, call: { name: string; arguments: Record<string, unknown> }) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [call] }, { content: `${marker} done` });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    let listed: Array<{ approvalId: string; roundId: string; preview?: Record<string, unknown> }> = [];
    await expect
      .poll(
        async () =>
          (listed = (await api.request('alice', 'GET', '/v1/approvals')).body.approvals.filter(
            (approval: { roundId: string }) => approval.roundId === roundId,
          )),
        { timeout: 20_000 },
      )
      .toHaveLength(1);
    return { roundId, listed: listed[0]! };
  }

  it('shows the preview in full, refuses a stale preview digest, and audits the preview the approver saw', async () => {
    const { roundId, listed } = await pendingOf('api-preview', {
      name: 'delete_pod',
      arguments: { namespace: 'dev', name: 'api-preview' },
    });
    // Lists carry the summary only.
    expect(listed.preview).toMatchObject({
      tool: 'read_record',
      status: 'ok',
      chars: 'read_record api-preview'.length,
    });
    expect(listed.preview).not.toHaveProperty('content');

    const view = (await api.request('alice', 'GET', `/v1/approvals/${listed.approvalId}`)).body;
    expect(view.preview).toMatchObject({ tool: 'read_record', status: 'ok', content: 'read_record api-preview' });
    expect(view.previewDigest).toBe(view.preview.digest);

    const post = (previewDigest: string) =>
      api.request('alice', 'POST', `/v1/approvals/${listed.approvalId}`, {
        decision: 'approve',
        argsDigest: view.argsDigest,
        previewDigest,
      });
    expect(await post('0'.repeat(64))).toMatchObject({
      status: 422,
      body: { error: { code: 'preview_mismatch' } },
    });
    expect(
      await api.request('alice', 'POST', `/v1/approvals/${listed.approvalId}`, {
        decision: 'approve',
        argsDigest: view.argsDigest,
        previewDigest: 'not-a-digest',
      }),
    ).toMatchObject({ status: 400 });
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(0);
    const approved = await post(view.previewDigest);
    expect(approved.body).toMatchObject({ status: 'approved', decision: { previewDigest: view.previewDigest } });
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);

    const audit = await api.request('carol', 'GET', '/v1/audit');
    const entries = audit.body.entries as AuditEntry[];
    const entry = entries.find((candidate) => candidate.approvalId === listed.approvalId)!;
    expect(entry).toMatchObject({
      outcome: 'approved',
      preview: { tool: 'read_record', status: 'ok', at: view.preview.at, digest: view.previewDigest },
      decision: { approver: { id: 'alice' }, previewDigest: view.previewDigest },
    });
    const ndjson = entries.map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(ndjson, [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }])).toMatchObject({ ok: true });
    // The signature covers the preview digest: another one, re-chained so the hashes hold, no longer verifies.
    const forged = chainEntries(
      entries
        .filter((line) => line.roundId === roundId)
        .map(({ seq: _seq, prevHash: _prev, hash: _hash, ...line }) =>
          line.approvalId === listed.approvalId
            ? { ...line, decision: { ...line.decision!, previewDigest: '0'.repeat(64) } }
            : line,
        ),
    );
    expect(
      verifyAuditExport(forged.map((line) => JSON.stringify(line)).join('\n'), [
        { id: TEST_KEY_ID, key: TEST_PUBLIC_KEY },
      ]),
    ).toMatchObject({ ok: false, why: expect.stringMatching(/signature/) });

    const document = JSON.stringify((await api.request(undefined, 'GET', '/openapi.json')).body);
    expect(document, 'OpenAPI describes the preview').toContain('"previewDigest"');
    expect(document).toContain('"preview":{');
  });

  it('the CLI prints the preview escaped and decides with its digest', async () => {
    const { roundId, listed } = await pendingOf('cli-preview', {
      name: 'write_file',
      arguments: { path: HOSTILE_PATH, content: 'hello' },
    });
    // The escaped arguments refuse --yes; the CLI still shows everything it would decide on.
    const refused = await cli(['approve', listed.approvalId, '--yes', ...as('alice')]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/preview echo: ok at .*, \d+ characters, digest [0-9a-f]{64}:/);
    expect(refused.stdout).toContain('echo: notes/\\u001b[31mred\\u202etxt.exe');
    expect(refused.stdout).not.toContain('\u001b');
    expect(refused.stdout).not.toContain('\u202e');

    const rejected = await cli(['reject', listed.approvalId, '--yes', '--reason', 'odd path', ...as('alice')]);
    expect(rejected.code, rejected.stderr).toBe(0);
    const view = (await api.request('carol', 'GET', `/v1/approvals/${listed.approvalId}`)).body;
    expect(view).toMatchObject({ status: 'rejected', decision: { previewDigest: view.previewDigest } });
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
  });
});

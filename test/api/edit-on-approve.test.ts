// Edit on approve through the API, the CLI and the audit trail: the edited call runs, a refused edit answers
// 422 invalid_edit or 403 edit_not_allowed with its reasons, and the audit keeps both argument sets, verifiable.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { TOKENS, startApi, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/round-harness.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY } from '../../testkit/signing.ts';
import { chainEntries, verifyAuditExport, type AuditEntry } from '../../runtime/audit.ts';
import { argsDigest } from '../../workflows/shared/digest.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'toolgate-edit-api-'));

function cli(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { TOOLGATE_URL: _url, TOOLGATE_TOKEN: _token, VISUAL: _visual, EDITOR: _editor, ...env } = process.env;
  const child = spawn(process.execPath, ['cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('edit on approve through the API and the CLI', () => {
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
          approval: 'always',
          tools: { delete_pod: { editable: false } },
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

  async function pendingFor(marker: string, toolCall: { name: string; arguments: Record<string, unknown> }) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [toolCall] }, { content: `done ${marker}` });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    let approvalId: string | undefined;
    await expect
      .poll(
        async () =>
          (approvalId = (await api.request('alice', 'GET', '/v1/approvals')).body.approvals.find(
            (approval: { roundId: string }) => approval.roundId === roundId,
          )?.approvalId),
        { timeout: 20_000 },
      )
      .toBeDefined();
    const view = await api.request('alice', 'GET', `/v1/approvals/${approvalId}`);
    return { roundId, approvalId: approvalId!, argsDigest: view.body.argsDigest as string };
  }

  async function completed(roundId: string) {
    await expect
      .poll(async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status, { timeout: 20_000 })
      .toBe('completed');
  }

  it('runs an edit sent to the API, refuses invalid and forbidden ones with their codes, and audits both sets', async () => {
    const original = { namespace: 'dev', name: 'api-edit', replicas: 9 };
    const {
      roundId,
      approvalId,
      argsDigest: digest,
    } = await pendingFor('api-edit', {
      name: 'scale_deployment',
      arguments: original,
    });
    const post = (body: Record<string, unknown>) =>
      api.request('alice', 'POST', `/v1/approvals/${approvalId}`, { decision: 'approve', argsDigest: digest, ...body });
    expect(await post({ decision: 'reject', reason: 'no', arguments: original })).toMatchObject({ status: 400 });
    const invalid = await post({ arguments: { namespace: 'dev', replicas: 'two' } });
    expect(invalid).toMatchObject({
      status: 422,
      body: {
        error: {
          code: 'invalid_edit',
          reasons: ['name is required', 'replicas must be of type number, not string'],
        },
      },
    });
    const edited = { namespace: 'dev', name: 'api-edit', replicas: 2 };
    expect((await post({ arguments: edited })).body).toMatchObject({
      status: 'approved',
      applied: true,
      decision: { editedArguments: edited, editedArgsDigest: argsDigest(edited) },
    });
    await completed(roundId);
    expect(mcp.calls.filter((call) => call.arguments.name === 'api-edit').map((call) => call.arguments)).toEqual([
      edited,
    ]);
    const view = await api.request('alice', 'GET', `/v1/approvals/${approvalId}`);
    expect(view.body).toMatchObject({ arguments: original, decision: { editedArguments: edited } });

    const audit = await api.request('carol', 'GET', '/v1/audit');
    const entries = audit.body.entries as AuditEntry[];
    const entry = entries.find((candidate) => candidate.approvalId === approvalId)!;
    expect(entry).toMatchObject({
      outcome: 'approved',
      argsDigest: argsDigest(original),
      originalArguments: original,
      decision: { arguments: edited, editedArgsDigest: argsDigest(edited) },
    });
    const keys = [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }];
    const ndjson = entries.map((line) => JSON.stringify(line)).join('\n');
    expect(verifyAuditExport(ndjson, keys)).toMatchObject({ ok: true });
    // An export whose edited arguments were changed afterwards fails, even with its hashes recomputed.
    const { hash: _hash, ...tampered } = { ...entry, decision: { ...entry.decision!, arguments: { replicas: 99 } } };
    const { seq: _seq, prevHash: _prev, ...unchained } = tampered;
    const [rechained] = chainEntries([unchained]);
    expect(verifyAuditExport(JSON.stringify(rechained))).toMatchObject({
      ok: false,
      why: "a decision's edited arguments do not match its editedArgsDigest",
    });

    const document = JSON.stringify((await api.request(undefined, 'GET', '/openapi.json')).body);
    expect(document).toContain('Edit on approve: the tool call');
  });

  it('answers 403 edit_not_allowed for a tool with editable: false', async () => {
    const { approvalId, argsDigest: digest } = await pendingFor('api-locked', {
      name: 'delete_pod',
      arguments: { namespace: 'dev', name: 'api-locked' },
    });
    const answer = await api.request('alice', 'POST', `/v1/approvals/${approvalId}`, {
      decision: 'approve',
      argsDigest: digest,
      arguments: { namespace: 'dev', name: 'other' },
    });
    expect(answer).toMatchObject({
      status: 403,
      body: { error: { code: 'edit_not_allowed', reasons: ['the policy of k8s/delete_pod says editable: false'] } },
    });
  });

  it('approves with `--arguments @file` and with `--edit` through $EDITOR, naming bad JSON by place', async () => {
    const first = await pendingFor('cli-file', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 'cli-file', replicas: 7 },
    });
    const broken = join(folder, 'broken.json');
    writeFileSync(broken, '{\n  "namespace": "dev",\n  "name": }\n');
    const bad = await cli(['approve', first.approvalId, '--arguments', `@${broken}`, '--yes', ...as('alice')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/broken\.json is not valid JSON at line 3, column 11: /);
    const file = join(folder, 'edit.json');
    writeFileSync(file, JSON.stringify({ namespace: 'dev', name: 'cli-file', replicas: 1 }));
    const viaFile = await cli(['approve', first.approvalId, '--arguments', `@${file}`, '--yes', ...as('alice')]);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(viaFile.stderr).toContain('~ replicas: 7 → 1');
    expect(viaFile.stdout).toMatch(/approved with changes by alice \(cli\)/);
    await completed(first.roundId);

    const second = await pendingFor('cli-editor', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 'cli-editor', replicas: 4 },
    });
    const editor = join(folder, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/"replicas": 4/"replicas": 0/' "$1"\n`);
    chmodSync(editor, 0o755);
    const viaEditor = await cli(['approve', second.approvalId, '--edit', '--yes', ...as('alice')], { EDITOR: editor });
    expect(viaEditor.code, viaEditor.stderr).toBe(0);
    expect(viaEditor.stderr).toContain('~ replicas: 4 → 0');
    await completed(second.roundId);
    expect(
      mcp.calls.filter((call) => String(call.arguments.name).startsWith('cli-')).map((call) => call.arguments),
    ).toEqual([
      { namespace: 'dev', name: 'cli-file', replicas: 1 },
      { namespace: 'dev', name: 'cli-editor', replicas: 0 },
    ]);
  });
});

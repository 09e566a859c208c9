// The audit trail: GET /v1/audit rebuilt from the rounds' histories, exported by the real CLI and verified
// offline by it (hash chains, the API's Ed25519 signatures); who sees which entry.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { TOKENS, type ApiHarness, type Person } from '../support/api-harness.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import type { Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { TEST_KEY_ID, TEST_PUBLIC_KEY, signedDecision } from '../../testkit/signing.ts';
import { decideSignal } from '../../workflows/contract.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A model's or approver's text may carry terminal escapes and bidi overrides: the CLI must not pass them on. */
const HOSTILE_REASON = 'no\u001b[2J way \u202eevil';

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

/** beforeAll has no expect.poll: the same, for set-up. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('audit trail', () => {
  let temporal: DevServer;
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;
  let dir: string;
  const as = (person: Person) => ['--url', api.url, '--token', TOKENS[person]];

  /** A round of carol's that waits for approval of `calls` calls of `tool`: their approvals' ids and digests. */
  async function gatedRound(
    marker: string,
    tool: string,
    calls = 1,
  ): Promise<{ roundId: string; approvals: Array<{ approvalId: string; argsDigest: string }> }> {
    const toolCalls = Array.from({ length: calls }, (_, index) => ({
      name: tool,
      arguments: { namespace: 'dev', name: `${marker}-${index}`, replicas: 2 },
    }));
    harness.routes[marker] = scriptedSteps({ toolCalls }, { content: `done ${marker}` });
    const started = await api.request('carol', 'POST', '/v1/rounds', { query: marker });
    expect(started.status).toBe(201);
    const roundId = started.body.roundId as string;
    harness.roundIds.push(roundId);
    const approvals = await until(
      async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.approvals ?? [],
      (found: Array<{ approvalId: string; argsDigest: string }>) => found.length === calls,
    );
    // By id (step.call): approvals of one reply open in the order their grant lookups finish.
    return { roundId, approvals: approvals.sort((a, b) => a.approvalId.localeCompare(b.approvalId)) };
  }

  async function completed(roundId: string): Promise<void> {
    await until(
      async () => (await api.request('carol', 'GET', `/v1/rounds/${roundId}`)).body.status,
      (status) => status === 'completed',
    );
  }

  let rounds: string[];

  beforeAll(async () => {
    // A server of its own: the audit lists whole namespaces, and other files' rounds would change its counts.
    temporal = await startDevServer({ ui: false });
    stack = await startK8sApi({
      temporalAddress: temporal.address,
      approvers: ['alice', 'bob'],
      tools: { scale_deployment: { approvers: ['bob'], approvalTimeout: '2s' } },
      api: { roles: { auditor: ['audrey'] } },
    });
    ({ harness, api } = stack);
    dir = mkdtempSync(join(tmpdir(), 'toolgate-audit-'));
    const approved = await gatedRound('audit-approved', 'delete_pod');
    // Two approvals in one round: a chain of two entries, in the order they closed.
    const rejected = await gatedRound('audit-rejected', 'delete_pod', 2);
    const expired = await gatedRound('audit-expired', 'scale_deployment');
    const decide = async (person: Person, approval: { approvalId: string; argsDigest: string }, body: object) =>
      expect(
        (
          await api.request(person, 'POST', `/v1/approvals/${approval.approvalId}`, {
            ...body,
            argsDigest: approval.argsDigest,
          })
        ).body,
      ).toMatchObject({ applied: true });
    await decide('alice', approved.approvals[0]!, { decision: 'approve' });
    await decide('bob', rejected.approvals[1]!, { decision: 'reject', reason: HOSTILE_REASON, channel: 'cli' });
    await decide('alice', rejected.approvals[0]!, { decision: 'approve' });
    rounds = [approved.roundId, rejected.roundId, expired.roundId];
    for (const roundId of rounds) await completed(roundId);
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
    await temporal?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function exportAs(person: Person, file: string): Promise<string> {
    const run = await cli(['audit', '--ndjson', '--requester', 'carol', ...as(person)]);
    expect(run.code, run.stderr).toBe(0);
    writeFileSync(join(dir, file), run.stdout);
    return join(dir, file);
  }

  function keysFile(): string {
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify([{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }]));
    return file;
  }

  it('exports approved, rejected and expired approvals that `audit verify` checks offline, signatures included', async () => {
    const file = await exportAs('audrey', 'all.ndjson');
    const entries = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const ofRound = (index: number) => entries.filter((entry) => entry.roundId === rounds[index]);
    expect(entries).toHaveLength(4);
    expect(ofRound(0)).toMatchObject([
      {
        outcome: 'approved',
        seq: 0,
        decision: {
          decision: 'approve',
          approver: { id: 'alice', channel: 'http' },
          signature: { keyId: TEST_KEY_ID },
        },
      },
    ]);
    const [first, second] = ofRound(1);
    expect(first).toMatchObject({
      approvalId: `${rounds[1]}.1.1`,
      outcome: 'rejected',
      seq: 0,
      decision: { decision: 'reject', approver: { id: 'bob', channel: 'cli' }, reason: HOSTILE_REASON },
    });
    expect(second).toMatchObject({ approvalId: `${rounds[1]}.1.0`, outcome: 'approved', seq: 1, prevHash: first.hash });
    expect(ofRound(2)).toMatchObject([{ outcome: 'expired', tool: 'scale_deployment' }]);
    expect(ofRound(2)[0].decision).toBeUndefined();

    const verified = await cli(['audit', 'verify', file, '--public-keys', keysFile()]);
    expect(verified, verified.stderr).toMatchObject({ code: 0 });
    expect(verified.stdout).toMatch(/4 entries of 3 rounds verify: hash chains, 3 decision signatures/);

    // The table a person reads shows the reason with its escape and override characters neutralised.
    const table = await cli(['audit', '--requester', 'carol', ...as('audrey')]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('no\\u001b[2J way \\u202eevil');
    expect(table.stdout).not.toContain('\u001b');
    expect(table.stdout).not.toContain('\u202e');
  });

  it('names the line of an export in which one byte was flipped', async () => {
    const file = await exportAs('audrey', 'flipped.ndjson');
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines[1]!.indexOf('"requester":"carol"') + '"requester":"c'.length;
    lines[1] = lines[1]!.slice(0, at) + String.fromCharCode(lines[1]!.charCodeAt(at) ^ 1) + lines[1]!.slice(at + 1);
    writeFileSync(file, lines.join('\n'));
    const run = await cli(['audit', 'verify', file]);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`${file}:2: does not verify: its hash does not match its content`);
  });

  it('shows a principal who is neither requester, approver, auditor nor admin no entry of the round; an approver only what they may decide', async () => {
    for (const accept of ['application/json', 'application/x-ndjson']) {
      const hidden = await api.request('mallory', 'GET', '/v1/audit', undefined, { accept });
      expect(hidden.status).toBe(200);
      expect(JSON.stringify(hidden.body), accept).not.toMatch(/audit-|carol/);
    }
    const mallory = await cli(['audit', '--ndjson', ...as('mallory')]);
    expect(mallory).toMatchObject({ code: 0, stdout: '' });

    // alice may decide delete_pod, not scale_deployment (bob only): the expired round is not hers to read.
    const alice = await api.request('alice', 'GET', '/v1/audit?requester=carol');
    const aliceRounds = new Set(alice.body.entries.map((entry: { roundId: string }) => entry.roundId));
    expect(alice.body.entries).toHaveLength(3);
    expect([...aliceRounds].sort()).toEqual(rounds.slice(0, 2).sort());
    const carol = await api.request('carol', 'GET', '/v1/audit');
    expect(carol.body.entries).toHaveLength(4);
  });

  it('gives the same entries as JSON pages and as NDJSON', async () => {
    const paged: unknown[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ requester: 'carol', pageSize: '1', ...(pageToken ? { pageToken } : {}) });
      const page = await api.request('audrey', 'GET', `/v1/audit?${query.toString()}`);
      expect(page.status).toBe(200);
      paged.push(...page.body.entries);
      pageToken = page.body.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBeGreaterThanOrEqual(3);

    const response = await fetch(`${api.url}/v1/audit?requester=carol&pageSize=1`, {
      headers: { authorization: `Bearer ${TOKENS.audrey}`, accept: 'application/x-ndjson' },
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(4);
    expect(lines).toEqual(paged);

    const filtered = await api.request(
      'audrey',
      'GET',
      '/v1/audit?requester=carol&outcome=rejected&approver=bob&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z',
    );
    expect(filtered.body.entries).toEqual(
      paged.filter((entry) => (entry as { outcome: string }).outcome === 'rejected'),
    );
  });
  it('credits the decision the round applied, not an unsigned signal that reached it first', async () => {
    const { roundId, approvals } = await gatedRound('audit-forged', 'delete_pod');
    const [approval] = approvals;
    // A namespace writer signals a rejection naming alice, unsigned; alice's signed approval follows as a signal
    // too (as when no worker answers the API). The round ignores the first and applies the second.
    const handle = harness.client.workflow.getHandle(roundId);
    const common = { approvalId: approval!.approvalId, argsDigest: approval!.argsDigest };
    await handle.signal(decideSignal, {
      ...common,
      decision: 'reject',
      reason: 'forged',
      approver: { id: 'alice', channel: 'cli' },
    });
    await handle.signal(
      decideSignal,
      signedDecision({
        ...common,
        decision: 'approve',
        approver: { id: 'alice', channel: 'http' },
        receivedAt: new Date().toISOString(),
      }),
    );
    await completed(roundId);
    const page = await api.request('audrey', 'GET', `/v1/audit?requester=carol&pageSize=50`);
    const entry = (
      page.body.entries as Array<{ approvalId: string; outcome: string; decision?: { reason?: string } }>
    ).find((candidate) => candidate.approvalId === approval!.approvalId);
    expect(entry).toMatchObject({ outcome: 'approved' });
    expect(entry!.decision?.reason).toBeUndefined();
  });
});

// Without its signing keys a worker or API does not start (closed): a worker would run rounds that refuse every
// decision, an API would send what no round accepts. The real processes, against the test server.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

const run = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), 'toolgate-signing-startup-'));

async function exitOf(script: string, signing: unknown): Promise<{ code: number; stderr: string }> {
  const config = writeConfig(join(folder, `${script.replace(/\W/g, '-')}-${Date.now()}.yaml`), {
    temporal: { address: inject('temporalAddress'), taskQueue: `signing-startup-${Date.now()}` },
    llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' },
    approvals: { approvers: ['alice'] },
    ...(signing === undefined ? {} : { signing }),
  });
  const started = run(process.execPath, [script, '--config', config], { timeout: 60_000 });
  return started.then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('signing keys at start', () => {
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('refuses to start a worker without signing.publicKeys', async () => {
    const { code, stderr } = await exitOf('worker/main.ts', { privateKey: TEST_SIGNING.privateKey });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^signing\.publicKeys is missing: rounds verify decisions and their input with them/m);
  });

  it('refuses to start an API without signing.privateKey', async () => {
    const { code, stderr } = await exitOf('api/main.ts', undefined);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^signing\.privateKey is missing: the API signs every decision and round it starts/m);
  });

  it('refuses a key that is not 32 bytes', async () => {
    const keyFile = join(folder, 'short.pub');
    writeFileSync(keyFile, Buffer.alloc(16).toString('base64'));
    const { code, stderr } = await exitOf('worker/main.ts', { publicKeys: [{ id: 'k1', file: keyFile }] });
    expect(code).toBe(1);
    expect(stderr).toContain("signing.publicKeys 'k1' must be 32 bytes, base64-encoded (got 16 bytes)");
  });
});

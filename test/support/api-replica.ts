// A second API replica as a child process on the harness's task queue, for tests that SIGKILL an API while calls
// wait: it shares the harness's Temporal, model and signing key, and answers the test principals' tokens.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../scripts/ports.ts';
import { spawnApi, writeConfig } from '../../testkit/services.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';
import { TOKENS } from './api-harness.ts';
import type { Harness } from './round-harness.ts';

export async function spawnApiReplica(
  harness: Harness,
  name: string,
): Promise<{ port: number; api: Awaited<ReturnType<typeof spawnApi>> }> {
  const port = await freePort();
  const configPath = writeConfig(join(mkdtempSync(join(tmpdir(), `toolgate-${name}-`)), 'api.yaml'), {
    temporal: { address: inject('temporalAddress'), taskQueue: harness.config.temporal.taskQueue },
    llm: { baseURL: harness.llm.baseURL, model: 'scripted' },
    approvals: { approvers: ['alice', 'bob'] },
    signing: TEST_SIGNING,
    api: { port, tokens: Object.entries(TOKENS).map(([principal, token]) => ({ principal, token })) },
  });
  return { port, api: await spawnApi(configPath) };
}

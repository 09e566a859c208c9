// Starts one real Temporal server for the whole test run, loads the workflow bundle (built once per set of
// inputs, runtime/workflow-bundle-cache.ts) and finds (or installs)
// the Chromium that browser tests drive. The dev server by
// default; with TOOLGATE_TEST_TEMPORAL=cluster, the multi-service cluster on PostgreSQL with mTLS, which every
// test and every process it spawns then reaches through the TEMPORAL_* variables set here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../scripts/chromium.ts';
import { startDevServer } from '../../scripts/dev-server.ts';
import { startTemporalCluster } from '../../scripts/temporal-cluster.ts';
import { TEST_POSTGRES_ENV } from '../../testkit/temporal-store.ts';
import { createLogger } from '../../runtime/logger.ts';
import { cachedWorkflowBundle } from '../../runtime/workflow-bundle-cache.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    chromiumPath: string;
  }
}

async function startServer(folder: string): Promise<{ address: string; stop(): Promise<void> }> {
  const log = (line: string) => console.log(line);
  if (process.env.TOOLGATE_TEST_TEMPORAL === 'cluster') {
    const cluster = await startTemporalCluster({ folder: join(folder, 'cluster'), log });
    const { host, port, user, password, dataDir } = cluster.postgres;
    Object.assign(process.env, cluster.env, {
      [TEST_POSTGRES_ENV]: JSON.stringify({ host, port, user, password, dataDir }),
    });
    return { address: cluster.address, stop: () => cluster.stop() };
  }
  return startDevServer({ ui: false, logOutput: join(folder, 'temporal.log'), log });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-test-'));
  // Both may build or install on a fresh machine: side by side, and neither left running if the other fails.
  const [server, chromium] = await Promise.allSettled([startServer(folder), ensureChromium({ log: console.log })]);
  if (server.status === 'rejected' || chromium.status === 'rejected') {
    if (server.status === 'fulfilled') await server.value.stop();
    throw server.status === 'rejected' ? server.reason : (chromium as PromiseRejectedResult).reason;
  }
  const logger = createLogger('test-bundle');
  logger.level = 'warn';
  const bundle = await cachedWorkflowBundle(logger);
  const bundlePath = join(folder, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.value.address);
  project.provide('chromiumPath', chromium.value);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.value.stop();
  };
}

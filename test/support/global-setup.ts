// Starts one real Temporal dev server and bundles the workflows once for the whole test run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer } from '../../scripts/dev-server.ts';
import { createLogger } from '../../runtime/logger.ts';
import { bundleWorkflows } from '../../runtime/workflow-bundle.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-test-'));
  const server = await startDevServer({
    ui: false,
    logOutput: join(folder, 'temporal.log'),
    log: (line) => console.log(line),
  });
  const logger = createLogger('test-bundle');
  logger.level = 'warn';
  const bundle = await bundleWorkflows(logger);
  const bundlePath = join(folder, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    await server.stop();
  };
}

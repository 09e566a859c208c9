// The workflow code as Temporal runs it: one bundle of workflows/, whose content names the deployment version.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from 'pino';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** Bundles workflows/; the bundler's chatter goes to debug, its warnings and errors as they are. */
export async function bundleWorkflows(logger: Logger): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: {
      trace: () => undefined,
      debug: (message: string) => logger.debug(message),
      info: (message: string) => logger.debug(message),
      warn: (message: string) => logger.warn(message),
      error: (message: string) => logger.error(message),
      log: () => undefined,
    },
  });
  return { code };
}

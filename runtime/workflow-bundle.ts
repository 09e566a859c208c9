// The workflow code as Temporal runs it: one bundle of workflows/, whose content names the deployment version.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import type { Logger } from 'pino';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/trace-interceptors.ts', import.meta.url));

/**
 * Loaded once per worker thread and shared by every workflow: otherwise each cached round evaluates the zod
 * library anew. Temporal freezes preloaded modules, so only zod itself is (its schemas, created per
 * workflow by the contract, cache lazily on themselves).
 */
export const PRELOADED_MODULES = ['zod'];

/** Bundles workflows/; the bundler's chatter goes to debug, its warnings and errors as they are. */
export async function bundleWorkflows(
  logger: Logger,
  options: Pick<BundleOptions, 'webpackConfigHook'> = {},
): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    ...options,
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [INTERCEPTORS_PATH],
    preloadModules: PRELOADED_MODULES,
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

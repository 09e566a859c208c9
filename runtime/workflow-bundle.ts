// The workflow code as Temporal runs it: one bundle of workflows/, whose content names the deployment version.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import type { Logger } from 'pino';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/trace-interceptors.ts', import.meta.url));

/**
 * Loaded once per worker thread and shared by every workflow: otherwise each round evaluates them anew (zod;
 * the OpenTelemetry SDK of the tracing interceptors, whose semantic conventions alone are thousands of
 * constants: 18 ms of every round before). Temporal freezes preloaded modules, so only these are: the
 * OpenTelemetry API, which keeps the workflow's tracer provider and context manager, stays per workflow.
 */
export const PRELOADED_MODULES = [
  fileURLToPath(new URL('../workflows/shared-modules.ts', import.meta.url)),
  'zod',
  '@opentelemetry/core',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-base',
];

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

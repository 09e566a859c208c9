// The workflow code as Temporal runs it: one bundle of workflows/, whose content names the deployment version.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import type { Logger } from 'pino';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const INTERCEPTORS_PATH = fileURLToPath(new URL('../workflows/trace-interceptors.ts', import.meta.url));

/**
 * Loaded once per worker thread and shared by every workflow (workflows/shared-modules.ts says which and why). A
 * package named here directly would be dropped by webpack (a side-effect-free `require` whose result is unused), so
 * the list names that module only. Temporal freezes preloaded modules: the OpenTelemetry packages, whose tracer
 * provider and context manager are the workflow's own, stay per workflow.
 */
export const PRELOADED_MODULES = [fileURLToPath(new URL('../workflows/shared-modules.ts', import.meta.url))];

const INLINE_SOURCE_MAP = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

/**
 * The bundle with its inline source map minus `sourcesContent`, a copy of every bundled source: each workflow
 * thread parses and keeps the map (about 30 MB of a worker's RSS with them). Stack traces need only the
 * mappings; the SDK reads the sources only for `showStackTraceSources`, which toolgate leaves off.
 */
function withoutSourceContents(code: string): string {
  const at = code.lastIndexOf(INLINE_SOURCE_MAP);
  if (at < 0) throw new Error('the workflow bundle has no inline source map');
  const map = JSON.parse(Buffer.from(code.slice(at + INLINE_SOURCE_MAP.length), 'base64').toString('utf8')) as {
    sourcesContent?: unknown;
  };
  delete map.sourcesContent;
  return `${code.slice(0, at)}${INLINE_SOURCE_MAP}${Buffer.from(JSON.stringify(map)).toString('base64')}`;
}

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
  return { code: withoutSourceContents(code) };
}

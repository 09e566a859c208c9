// Bundles version N+1: the workflows of this checkout with the approval gate replaced by `gate`.
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../runtime/logger.ts';
import { bundleWorkflows } from '../../runtime/workflow-bundle.ts';

export async function bundleWithGate(gate: string): Promise<{ code: string }> {
  const gatePath = fileURLToPath(new URL(gate, import.meta.url));
  const logger = createLogger('test-bundle');
  logger.level = 'warn';
  return bundleWorkflows(logger, {
    webpackConfigHook: (config) => {
      config.resolve = {
        ...config.resolve,
        alias: { ...(config.resolve?.alias as Record<string, string>), './approval-gate.ts': gatePath },
      };
      return config;
    },
  });
}

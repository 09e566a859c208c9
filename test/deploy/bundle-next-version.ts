// Bundles version N+1: the workflows of this checkout with the approval gate replaced by `gate`.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../runtime/workflow-bundle.ts';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

export async function bundleWithGate(gate: string): Promise<{ code: string }> {
  const gatePath = fileURLToPath(new URL(gate, import.meta.url));
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: silent,
    webpackConfigHook: (config) => {
      config.resolve = {
        ...config.resolve,
        alias: { ...(config.resolve?.alias as Record<string, string>), './approval-gate.ts': gatePath },
      };
      return config;
    },
  });
  return { code };
}

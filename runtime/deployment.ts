// Worker Versioning: the version a worker polls as, and making it the deployment's current version so that
// new rounds start on it while rounds pinned to older versions drain on their own workers.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NativeConnection, WorkerDeploymentOptions } from '@temporalio/worker';
import type { DeploymentConfig } from './config.ts';

const PROMOTE_TIMEOUT_MS = 60_000;

/** The build id of a workflow bundle: its content, so any change of workflow code is a new version. */
export function buildIdOf(bundleCode: string): string {
  return createHash('sha256').update(bundleCode).digest('hex').slice(0, 12);
}

export function deploymentOptions(deployment: DeploymentConfig, buildId: string): WorkerDeploymentOptions | undefined {
  if (!deployment.enabled) return undefined;
  return {
    version: { deploymentName: deployment.name, buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: deployment.behavior === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE',
  };
}

/**
 * Makes `buildId` the deployment's current version. A version exists once its workers poll, so this retries
 * until the server knows it; setting the version that is already current changes nothing.
 */
export async function makeCurrentVersion(
  connection: NativeConnection,
  namespace: string,
  deploymentName: string,
  buildId: string,
): Promise<void> {
  const deadline = Date.now() + PROMOTE_TIMEOUT_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
        namespace,
        deploymentName,
      });
      if (workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId === buildId) return;
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName,
        buildId,
        identity: `toolgate-worker@${buildId}`,
        ignoreMissingTaskQueues: true,
      });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(
          `could not make ${deploymentName}:${buildId} the current version: ${(error as Error).message}`,
          { cause: error },
        );
      await sleep(delay);
    }
  }
}

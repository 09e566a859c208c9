// Moves waiting rounds from an old Worker Deployment version to the new one, for a change that must reach
// running rounds (a patched() change): each round's history is first replayed against the new workflow code,
// and only rounds that replay cleanly are moved (pinned to the new version); the rest stay where they are.
//
//   npm run rounds:upgrade -- --from <old build id> [--config F] [--dry-run]
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import protos from '@temporalio/proto'; // CommonJS without named exports Node can detect
import { loadConfig } from '../runtime/config.ts';
import { dataConverterFor } from '../runtime/payload-codec.ts';
import { connectWithConfig } from '../runtime/temporal-connection.ts';
import { buildIdOf } from '../runtime/deployment.ts';
import { createLogger } from '../runtime/logger.ts';
import { configPath } from '../runtime/process-lifecycle.ts';
import { cachedWorkflowBundle } from '../runtime/workflow-bundle-cache.ts';
import { workflowSpanSinks } from '../runtime/workflow-span-sink.ts';
import { WORKFLOW_TYPE } from '../workflows/contract.ts';

const { PinnedOverrideBehavior } = protos.temporal.api.workflow.v1.VersioningOverride;

export interface UpgradeReport {
  moved: string[];
  /** Rounds whose history the new code cannot replay, with the replay error: they stay on the old version. */
  refused: Array<{ roundId: string; error: string }>;
}

export async function upgradeRounds(options: {
  client: Client;
  namespace: string;
  deploymentName: string;
  fromBuildId: string;
  toBuildId: string;
  workflowBundle: WorkflowBundleOption;
  dryRun?: boolean;
  log?: (line: string) => void;
}): Promise<UpgradeReport> {
  const { client, namespace, deploymentName, fromBuildId, toBuildId } = options;
  const log = options.log ?? (() => {});
  const query = `WorkflowType = "${WORKFLOW_TYPE}" AND ExecutionStatus = "Running" AND TemporalWorkerDeploymentVersion = "${deploymentName}:${fromBuildId}"`;
  const report: UpgradeReport = { moved: [], refused: [] };
  for await (const execution of client.workflow.list({ query })) {
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const history = await handle.fetchHistory();
    const dataConverter = client.options.dataConverter;
    const replay = await Worker.runReplayHistory(
      {
        workflowBundle: options.workflowBundle,
        sinks: workflowSpanSinks(undefined),
        ...(dataConverter ? { dataConverter } : {}),
      },
      history,
      execution.workflowId,
    ).then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    if (replay !== undefined) {
      report.refused.push({ roundId: execution.workflowId, error: replay });
      log(`  ${execution.workflowId}: stays on ${fromBuildId}, the new code does not replay it: ${replay}`);
      continue;
    }
    if (!options.dryRun) {
      await client.workflowService.updateWorkflowExecutionOptions({
        namespace,
        workflowExecution: { workflowId: execution.workflowId, runId: execution.runId },
        workflowExecutionOptions: {
          versioningOverride: {
            pinned: {
              behavior: PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED,
              version: { deploymentName, buildId: toBuildId },
            },
          },
        },
        updateMask: { paths: ['versioning_override'] },
      });
    }
    report.moved.push(execution.workflowId);
    log(`  ${execution.workflowId}: ${options.dryRun ? 'would move' : 'moved'} to ${toBuildId}`);
  }
  return report;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, from: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  });
  if (!values.from) {
    console.error('usage: npm run rounds:upgrade -- --from <old build id> [--config F] [--dry-run]');
    return 2;
  }
  const { config, connection } = await connectWithConfig(loadConfig(configPath(values.config)));
  const deployment = config.temporal.deployment;
  console.log('loading the workflow bundle of this checkout...');
  const workflowBundle = {
    code: (await cachedWorkflowBundle(createLogger('toolgate-upgrade'), config.worker.bundleCache)).code,
  };
  const toBuildId = deployment.buildId ?? buildIdOf(workflowBundle.code);
  try {
    const dataConverter = dataConverterFor(config.codec);
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      ...(dataConverter ? { dataConverter } : {}),
    });
    console.log(`rounds of ${deployment.name}:${values.from} -> ${toBuildId}${values['dry-run'] ? ' (dry run)' : ''}`);
    const report = await upgradeRounds({
      client,
      namespace: config.temporal.namespace,
      deploymentName: deployment.name,
      fromBuildId: values.from,
      toBuildId,
      workflowBundle,
      dryRun: values['dry-run'] === true,
      log: (line) => console.log(line),
    });
    console.log(
      `${report.moved.length} round(s) ${values['dry-run'] ? 'would move' : 'moved'}, ${report.refused.length} left on ${values.from}`,
    );
    return report.refused.length > 0 ? 1 : 0;
  } finally {
    await connection.close();
  }
}

if (import.meta.main) process.exitCode = await main();

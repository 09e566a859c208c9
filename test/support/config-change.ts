// A configuration change as operators make it: the worker restarts with the new file, and its policy recheck
// scan nudges the rounds waiting under the old one.
import { parseConfig, type ToolgateConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { createToolgateWorker } from '../../worker/create-worker.ts';
import type { RecheckProgress } from '../../worker/policy-recheck.ts';
import { workflowBundle, type Harness } from './round-harness.ts';

/** The harness's configuration with other servers and recheck settings. */
export function changedConfig(
  harness: Pick<Harness, 'config'>,
  servers: unknown[],
  recheck: { releaseWhenLoosened: boolean },
): ToolgateConfig {
  return parseConfig(
    {
      ...harness.config,
      approvals: { ...harness.config.approvals, recheck: { enabled: true, perSecond: 20, ...recheck } },
      servers,
    },
    'changed config',
  );
}

/** Stops the harness's worker, starts one on `config`, and resolves with what its recheck scan did. */
export async function restartWithConfig(
  harness: Harness,
  config: ToolgateConfig,
): Promise<RecheckProgress | undefined> {
  await harness.stopWorker();
  const logger = createLogger('test-worker');
  logger.level = 'warn';
  const worker = await createToolgateWorker({
    config,
    connection: harness.connection,
    logger,
    workflowBundle: workflowBundle(),
  });
  const running = worker.worker.run();
  harness.worker = {
    ...worker,
    async close() {
      await worker.close();
      await running;
    },
  };
  const deadline = Date.now() + 10_000;
  while (!worker.recheck() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return worker.recheck()?.done;
}

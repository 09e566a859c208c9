// A process that loads the workflow bundle as a worker does, for test/deploy/workflow-bundle-cache.test.ts:
// `node bundle-probe.ts <cache dir>` prints whether it bundled, the build id, and whether webpack's compiler or
// swc was ever loaded into it. Copied with runtime/ and workflows/ into a scratch checkout by that test.
import { createRequire } from 'node:module';
import '@temporalio/worker';
import pino from 'pino';
import { buildIdOf } from '../../runtime/deployment.ts';
import { cachedWorkflowBundle } from '../../runtime/workflow-bundle-cache.ts';

const bundle = await cachedWorkflowBundle(pino({ level: 'warn' }), process.argv[2]);
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(
  `${JSON.stringify({
    built: bundle.built,
    buildId: buildIdOf(bundle.code),
    path: bundle.path,
    compilerLoaded: loaded.some((file) => /[\\/]webpack[\\/]lib[\\/]webpack\.js$|[\\/]@swc[\\/]core[\\/]/.test(file)),
  })}\n`,
);

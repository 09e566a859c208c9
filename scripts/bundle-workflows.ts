// `npm run bundle [-- --dir D]`: builds the workflow bundle into its cache ahead of the first start (an image
// build, a deploy step), so that no worker runs webpack. D is the worker's `worker.bundleCache` when set;
// default $TOOLGATE_BUNDLE_CACHE, else .tools/workflow-bundles. Prints the build id and where the bundle lies.
import { parseArgs } from 'node:util';
import { buildIdOf } from '../runtime/deployment.ts';
import { createLogger } from '../runtime/logger.ts';
import { cachedWorkflowBundle, defaultBundleCache } from '../runtime/workflow-bundle-cache.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
const bundle = await cachedWorkflowBundle(createLogger('toolgate-bundle'), values.dir ?? defaultBundleCache());
console.log(
  `${bundle.built ? 'bundled' : 'already bundled'}: build id ${buildIdOf(bundle.code)}, ${bundle.path ?? 'not stored (see the warning above)'}`,
);

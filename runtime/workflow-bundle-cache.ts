// The workflow bundle, built once per set of inputs and kept on disk: webpack costs seconds and a few hundred MB
// of a process's memory, so every worker, the replayer and the tests load what the first of them built.
//
// `node runtime/workflow-bundle-cache.ts <dir>` builds it into `dir`: what a process that finds no bundle runs.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS_DIR = fileURLToPath(new URL('../workflows/', import.meta.url));
/** The bundler's options (entry, interceptors, preloaded modules) are inputs too. */
const BUNDLE_OPTIONS_FILE = fileURLToPath(new URL('./workflow-bundle.ts', import.meta.url));
/** Bumped when the cache's layout or key changes meaning. */
const FORMAT = 'toolgate-workflow-bundle/1';
/** `<key>.<sha-256 of the code>.js`: the name says what the content must hash to, so a damaged file is seen. */
const BUNDLE_FILE = /^([0-9a-f]{32})\.([0-9a-f]{64})\.js$/;
/** Bundles of other inputs (older checkouts, other working copies) go once nobody loaded them for this long. */
const UNUSED_FOR_MS = 14 * 24 * 3600_000;
/** A temp file this old belongs to a writer that died before its rename. */
const ABANDONED_TEMP_MS = 3600_000;

/** `$TOOLGATE_BUNDLE_CACHE`, else `.tools/workflow-bundles` in this checkout. */
export function defaultBundleCache(): string {
  return process.env.TOOLGATE_BUNDLE_CACHE ?? join(REPO_ROOT, '.tools', 'workflow-bundles');
}

export interface CachedWorkflowBundle {
  code: string;
  /** Where the code lies in the cache; undefined when it could not be stored there. */
  path: string | undefined;
  /** True when this call ran webpack, false when it found the bundle in the cache. */
  built: boolean;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The installed dependency tree: npm's record of node_modules, else the lock file. */
function installedTree(): string {
  for (const file of [join(REPO_ROOT, 'node_modules', '.package-lock.json'), join(REPO_ROOT, 'package-lock.json')]) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      // try the next
    }
  }
  return 'no lock file';
}

/**
 * What the bundle's bytes depend on: the workflow sources and the bundler's options, every installed package
 * version (webpack, swc, the SDK, what the workflows import), Node, and the paths webpack writes into it (module
 * ids relative to the working directory, where node_modules really lies).
 */
export function bundleKey(): string {
  const hash = createHash('sha256');
  const part = (label: string, value: string | Buffer): void => {
    hash.update(`${label}\0${Buffer.byteLength(value)}\0`).update(value);
  };
  part('format', FORMAT);
  part('node', process.version);
  part('cwd', process.cwd());
  part('root', realpathSync(REPO_ROOT));
  part('node_modules', realpathSync(join(REPO_ROOT, 'node_modules')));
  part('installed', installedTree());
  part('options', readFileSync(BUNDLE_OPTIONS_FILE));
  for (const file of filesUnder(WORKFLOWS_DIR)) part(relative(REPO_ROOT, file), readFileSync(file));
  return hash.digest('hex').slice(0, 32);
}

function readCached(dir: string, key: string, logger: Logger): CachedWorkflowBundle | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const match = BUNDLE_FILE.exec(name);
    if (match?.[1] !== key) continue;
    const path = join(dir, name);
    let code: string;
    try {
      code = readFileSync(path, 'utf8');
    } catch {
      continue; // pruned meanwhile
    }
    if (sha256(code) !== match[2]) {
      logger.warn({ path }, 'the cached workflow bundle is damaged; bundling again');
      rmSync(path, { force: true });
      continue;
    }
    try {
      const now = new Date();
      utimesSync(path, now, now); // still in use: not pruned
    } catch {
      // a read-only cache works all the same
    }
    return { code, path, built: false };
  }
  return undefined;
}

function prune(dir: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const bundle = BUNDLE_FILE.exec(name);
    const temp = name.startsWith('.') && name.endsWith('.tmp');
    if (!(bundle && bundle[1] !== keep) && !temp) continue;
    try {
      const age = now - statSync(path).mtimeMs;
      if (age > (temp ? ABANDONED_TEMP_MS : UNUSED_FOR_MS)) rmSync(path, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/** Writes to a temp file and renames it: a process that starts meanwhile sees the whole file or none. */
function store(dir: string, key: string, code: string, logger: Logger): string | undefined {
  const path = join(dir, `${key}.${sha256(code)}.js`);
  const temp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, code);
    renameSync(temp, path);
    prune(dir, key);
    return path;
  } catch (error) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // there was no folder to write it to
    }
    logger.warn({ err: error, dir }, 'could not keep the workflow bundle in its cache; the next start bundles again');
    return undefined;
  }
}

/** Builds into `dir` in a child process (same working directory, so the same key); true when it exited cleanly. */
function buildInChild(dir: string): Promise<boolean> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function buildHere(dir: string, key: string, logger: Logger): Promise<CachedWorkflowBundle> {
  const started = performance.now();
  const { bundleWorkflows } = await import('./workflow-bundle.ts');
  const { code } = await bundleWorkflows(logger);
  const path = store(dir, key, code, logger);
  logger.info({ ms: Math.round(performance.now() - started), path }, 'bundled the workflow code');
  return { code, path, built: true };
}

/**
 * The workflow bundle of this checkout: from the cache in `dir` when it holds one of the same inputs, else built
 * there by a child process, so that webpack's memory leaves with it; in this process only when the child could
 * not store it (a read-only cache). The build id stays the hash of the code (runtime/deployment.ts).
 */
export async function cachedWorkflowBundle(
  logger: Logger,
  dir: string = defaultBundleCache(),
): Promise<CachedWorkflowBundle> {
  const key = bundleKey();
  const cached = readCached(dir, key, logger);
  if (cached) return cached;
  logger.info({ dir }, 'no workflow bundle of this code in the cache: bundling');
  if (await buildInChild(dir)) {
    const built = readCached(dir, key, logger);
    if (built) return { ...built, built: true };
  }
  return buildHere(dir, key, logger);
}

if (import.meta.main) {
  const { createLogger } = await import('./logger.ts');
  const logger = createLogger('toolgate-bundle');
  const dir = process.argv[2] ?? defaultBundleCache();
  const { path } = await buildHere(dir, bundleKey(), logger);
  if (!path) process.exitCode = 1;
}

// The workflow bundle's disk cache (runtime/workflow-bundle-cache.ts), in a scratch copy of the checkout (its
// runtime/ and workflows/, the real node_modules) so that a workflow source can change: real webpack, real
// processes, each of them loading the bundle as a worker does (test/support/bundle-probe.ts).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLING_MS = 240_000;

interface Probe {
  built: boolean;
  buildId: string;
  path: string;
  compilerLoaded: boolean;
}

describe('the workflow bundle cache', () => {
  let root: string;
  let cache: string;

  const probe = async (): Promise<Probe> => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'test', 'support', 'bundle-probe.ts'), cache],
      { cwd: root, maxBuffer: 1 << 20 },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Probe;
  };
  const bundles = (): string[] => readdirSync(cache).filter((name) => name.endsWith('.js'));

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'toolgate-bundle-cache-'));
    cache = join(root, 'cache');
    for (const part of ['package.json', 'workflows', 'runtime', 'test/support/bundle-probe.ts'])
      cpSync(join(REPO, part), join(root, part), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it(
    'bundles once for two workers starting at once; the next one loads the bundle without webpack',
    async () => {
      const [first, second] = await Promise.all([probe(), probe()]);
      expect(first.buildId).toBe(second.buildId);
      expect(first.built || second.built).toBe(true);
      // A worker that finds no bundle has a child process build it: webpack's memory leaves with that child.
      expect([first.compilerLoaded, second.compilerLoaded]).toEqual([false, false]);
      expect(bundles()).toHaveLength(1);
      expect(readdirSync(cache).filter((name) => name.endsWith('.tmp'))).toEqual([]);

      const third = await probe();
      expect(third).toMatchObject({ built: false, buildId: first.buildId, compilerLoaded: false });
      const code = readFileSync(third.path);
      expect(createHash('sha256').update(code).digest('hex').slice(0, 12)).toBe(third.buildId);
    },
    BUNDLING_MS,
  );

  it(
    'gives a changed workflow source a new build id, and keeps the bundle of the old one',
    async () => {
      const before = await probe();
      expect(before.built).toBe(false);
      appendFileSync(join(root, 'workflows', 'index.ts'), "\nexport const bundleCacheProbe = 'changed';\n");
      const after = await probe();
      expect(after.built).toBe(true);
      expect(after.buildId).not.toBe(before.buildId);
      expect(bundles()).toHaveLength(2);
      expect(await probe()).toMatchObject({ built: false, buildId: after.buildId });
    },
    BUNDLING_MS,
  );

  it(
    'bundles again over a damaged cache file',
    async () => {
      const good = await probe();
      expect(good.built).toBe(false);
      const code = readFileSync(good.path);
      writeFileSync(good.path, code.subarray(0, code.length >> 1));
      const rebuilt = await probe();
      expect(rebuilt).toMatchObject({ built: true, buildId: good.buildId, path: good.path });
      expect(readFileSync(good.path).equals(code)).toBe(true);
      expect(await probe()).toMatchObject({ built: false, buildId: good.buildId });
    },
    BUNDLING_MS,
  );

  it(
    'bundles without a cache it cannot write to',
    async () => {
      mkdirSync(join(root, 'blocked'));
      writeFileSync(join(root, 'blocked', 'cache'), 'a file where the cache folder should be');
      const blocked = cache;
      cache = join(root, 'blocked', 'cache');
      try {
        const { built, path, compilerLoaded } = await probe();
        expect({ built, path }).toEqual({ built: true, path: undefined });
        // Bundled in the process itself, with nowhere to keep it; so the check the other tests make sees webpack.
        expect(compilerLoaded).toBe(true);
      } finally {
        cache = blocked;
      }
    },
    BUNDLING_MS,
  );
});

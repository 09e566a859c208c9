// Finding the Chromium that browser tests drive: a configured path must work, Debian's is used when present,
// and where it can be installed neither (not root, no apt-get) the error names the exact command to run.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureChromium, type ChromiumSetup } from '../../scripts/chromium.ts';

const folder = mkdtempSync(join(tmpdir(), 'toolgate-chromium-'));
const executable = (name: string, body = 'exit 0'): string => {
  const path = join(folder, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
};
const missing = join(folder, 'no-such-chromium');
const quiet: Partial<ChromiumSetup> = { log: () => undefined, configured: undefined };

describe('ensureChromium', () => {
  it('uses CHROMIUM_PATH when it is executable, and refuses one that is not', async () => {
    const own = executable('own-chromium');
    await expect(ensureChromium({ ...quiet, configured: own, debianPath: missing })).resolves.toBe(own);
    await expect(ensureChromium({ ...quiet, configured: missing })).rejects.toThrow(
      `CHROMIUM_PATH=${missing} is not an executable file`,
    );
  });

  it("uses Debian's Chromium when it is there", async () => {
    const debian = executable('chromium');
    await expect(ensureChromium({ ...quiet, debianPath: debian, isRoot: false })).resolves.toBe(debian);
  });

  it('stops at once with the command to run when it may not install', async () => {
    const command = "Run: sudo sh -c 'apt-get update && apt-get install -y chromium'";
    await expect(ensureChromium({ ...quiet, debianPath: missing, isRoot: false })).rejects.toThrow(
      `No Chromium at ${missing}, and it cannot be installed from here (not root). ${command}`,
    );
    await expect(
      ensureChromium({ ...quiet, debianPath: missing, isRoot: true, aptGet: join(folder, 'no-apt-get') }),
    ).rejects.toThrow(`(no apt-get). ${command}`);
  });

  it("runs apt-get as root with a progress line, and reports apt-get's own failure with its output", async () => {
    const lines: string[] = [];
    const failing = executable('apt-get', 'echo "E: Unable to locate package chromium" >&2; exit 100');
    await expect(
      ensureChromium({
        log: (line) => lines.push(line),
        configured: undefined,
        debianPath: missing,
        isRoot: true,
        aptGet: failing,
      }),
    ).rejects.toThrow(/apt-get update -qq exited with 100:\nE: Unable to locate package chromium/);
    expect(lines[0]).toMatch(/^installing Chromium from Debian's packages/);
  });
});

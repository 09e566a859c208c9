#!/usr/bin/env node
// Launcher: the CLI is TypeScript run by the package's own Node 24 (type stripping); the system `node`
// that runs this file may be older, so this file stays plain JavaScript that any Node can run.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// realpath: npm links bin entries into node_modules/.bin, and the package root is next to the real file.
const root = dirname(dirname(realpathSync(fileURLToPath(import.meta.url))));
const node = join(root, 'node_modules', '.bin', 'node');
if (!existsSync(node)) {
  process.stderr.write(`toolgate: ${node} is missing; run \`npm ci\` in ${root}\n`);
  process.exit(127);
}

const child = spawn(node, [join(root, 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('error', (error) => {
  process.stderr.write(`toolgate: cannot start ${node}: ${error.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so callers see how the CLI ended.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});

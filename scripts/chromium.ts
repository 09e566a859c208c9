// Locates (or, on first use, installs) the Chromium that browser tests drive with playwright-core. Playwright's
// own browser download cannot work on a machine that reaches only package registries, so it is Debian's.
//
// Resolution order:
//   1. $CHROMIUM_PATH, when it points at an executable file (an error when it does not);
//   2. /usr/bin/chromium;
//   3. as root with apt-get: `apt-get update` + `apt-get install -y chromium`, with a progress line;
//   4. otherwise an error naming the exact command to run.
//
// Runnable directly: `node scripts/chromium.ts` prints the resolved path (`npm run setup:chromium`).
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const APT_GET = '/usr/bin/apt-get';
const INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';
const PROGRESS_INTERVAL_MS = 10_000;
const OUTPUT_TAIL_LINES = 20;

const isExecutable = (path: string): Promise<boolean> =>
  access(path, fsConstants.X_OK).then(
    () => true,
    () => false,
  );

/** Where to look and what may be done; the defaults are this machine's. */
export interface ChromiumSetup {
  log: (line: string) => void;
  configured: string | undefined;
  debianPath: string;
  aptGet: string;
  isRoot: boolean;
}

const thisMachine = (): ChromiumSetup => ({
  log: (line) => process.stderr.write(`${line}\n`),
  configured: process.env.CHROMIUM_PATH,
  debianPath: DEBIAN_CHROMIUM,
  aptGet: APT_GET,
  isRoot: process.getuid?.() === 0,
});

let inFlight: Promise<string> | undefined;

/** Absolute path of a Chromium to launch headless, installing Debian's package on first use where allowed. */
export function ensureChromium(setup: Partial<ChromiumSetup> = {}): Promise<string> {
  inFlight ??= resolveChromium({ ...thisMachine(), ...setup }).finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

async function resolveChromium({ log, configured, debianPath, aptGet, isRoot }: ChromiumSetup): Promise<string> {
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new Error(`CHROMIUM_PATH=${configured} is not an executable file: fix it, or unset it to use Debian's`);
  }
  if (await isExecutable(debianPath)) return debianPath;
  if (!isRoot || !(await isExecutable(aptGet))) {
    throw new Error(
      `No Chromium at ${debianPath}, and it cannot be installed from here (${isRoot ? 'no apt-get' : 'not root'}). ` +
        `Run: sudo sh -c '${INSTALL_COMMAND}' (or set CHROMIUM_PATH to a Chromium of your own)`,
    );
  }
  log(`installing Chromium from Debian's packages (${INSTALL_COMMAND}; first run only, about a minute)...`);
  const started = Date.now();
  await runApt(aptGet, ['update', '-qq'], log, started);
  await runApt(aptGet, ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], log, started);
  if (!(await isExecutable(debianPath)))
    throw new Error(`apt-get installed chromium, yet ${debianPath} is not there: run ${INSTALL_COMMAND} by hand`);
  log(`installed Chromium at ${debianPath} in ${Math.round((Date.now() - started) / 1000)} s`);
  return debianPath;
}

/** One apt-get run: a progress line every 10 s, the tail of its output in the error when it fails. */
function runApt(aptGet: string, args: string[], log: (line: string) => void, started: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(aptGet, args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const keep = (chunk: Buffer): void => {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      lines.splice(0, Math.max(0, lines.length - OUTPUT_TAIL_LINES));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const progress = setInterval(
      () => log(`  ...apt-get ${args[0]} [${Math.round((Date.now() - started) / 1000)}s]`),
      PROGRESS_INTERVAL_MS,
    );
    child.once('error', (error) => {
      clearInterval(progress);
      fail(error);
    });
    child.once('close', (code) => {
      clearInterval(progress);
      if (code === 0) done();
      else fail(new Error(`apt-get ${args.join(' ')} exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureChromium().then(
    (path) => console.log(path),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}

// Locates (or, on first use, builds) the `temporal` CLI that provides `temporal server start-dev`, and the
// multi-service `temporal-server` with its SQL schema tool for `npm run cluster` (same server line).
//
// Resolution order:
//   1. $TEMPORAL_CLI, when it points at an executable file;
//   2. `temporal` on $PATH;
//   3. the project-local cache <repo>/.tools/bin/temporal;
//   4. otherwise `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` into <repo>/.tools/bin.
//
// Runnable directly: `node scripts/temporal-binary.ts` prints the resolved path; with `--server`, the
// server's and the schema tool's.
import { spawn } from 'node:child_process';
import { constants as fsConstants, rmSync } from 'node:fs';
import { access, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOLS_DIR = join(REPO_ROOT, '.tools');
const TOOLS_BIN = join(TOOLS_DIR, 'bin');
const EXE_SUFFIX = process.platform === 'win32' ? '.exe' : '';
/** Where the project-local build lands (GOBIN). */
export const CACHED_TEMPORAL_PATH = join(TOOLS_BIN, `temporal${EXE_SUFFIX}`);
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_BIN = join(TOOLS_DIR, `server-${TEMPORAL_SERVER_VERSION}`);

/** What one `go install` builds, and where. */
interface GoTool {
  label: string;
  targets: string[];
  bin: string;
  executables: string[];
}

const CLI_TOOL: GoTool = {
  label: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
  targets: [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
  bin: TOOLS_BIN,
  executables: [CACHED_TEMPORAL_PATH],
};

const SERVER_TOOL: GoTool = {
  label: `Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool`,
  targets: [
    `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
    `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
  ],
  bin: SERVER_BIN,
  executables: [join(SERVER_BIN, `server${EXE_SUFFIX}`), join(SERVER_BIN, `sql${EXE_SUFFIX}`)],
};

const lockDir = (tool: GoTool): string => `${tool.bin}.build.lock`;
const LOCK_STALE_MS = 20 * 60 * 1000;
const PROGRESS_INTERVAL_MS = 5000;
const OUTPUT_TAIL_LINES = 30;

export interface EnsureTemporalBinaryOptions {
  /** Progress / diagnostic lines. Defaults to stderr. Only used when something noteworthy happens (build, wait, bad $TEMPORAL_CLI). */
  log?: (line: string) => void;
}

let inFlight: Promise<string> | undefined;

/** Absolute path of a usable `temporal` executable, building it with `go install` on first use. */
export async function ensureTemporalBinary(options: EnsureTemporalBinaryOptions = {}): Promise<string> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Concurrent callers in the same process share one resolution (and one build).
  if (!inFlight) {
    inFlight = resolveTemporalBinary(log).finally(() => {
      inFlight = undefined;
    });
  }
  return inFlight;
}

async function resolveTemporalBinary(log: (line: string) => void): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const candidate = resolve(fromEnv);
    if (await isExecutableFile(candidate)) return candidate;
    log(`warning: TEMPORAL_CLI=${fromEnv} is not an executable file; ignoring it`);
  }
  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;
  if (await isExecutableFile(CACHED_TEMPORAL_PATH)) return CACHED_TEMPORAL_PATH;
  await buildWithLock(CLI_TOOL, log);
  return CACHED_TEMPORAL_PATH;
}

/** `temporal-server` and `temporal-sql-tool` of the dev server's line, built into .tools on first use. */
export async function ensureTemporalServerBinaries(
  options: EnsureTemporalBinaryOptions = {},
): Promise<{ server: string; sqlTool: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const [server, sqlTool] = SERVER_TOOL.executables as [string, string];
  if (!(await allExecutable(SERVER_TOOL))) await buildWithLock(SERVER_TOOL, log);
  return { server, sqlTool };
}

/** The server binaries `npm run setup:cluster` built, or undefined: for callers that must not build them. */
export async function builtTemporalServerBinaries(): Promise<{ server: string; sqlTool: string } | undefined> {
  const [server, sqlTool] = SERVER_TOOL.executables as [string, string];
  return (await allExecutable(SERVER_TOOL)) ? { server, sqlTool } : undefined;
}

async function allExecutable(tool: GoTool): Promise<boolean> {
  for (const path of tool.executables) if (!(await isExecutableFile(path))) return false;
  return true;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Searches $PATH for an executable named `name`; returns its absolute path. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) {
    const candidate = resolve(dir, `${name}${EXE_SUFFIX}`);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function findGo(): Promise<string | undefined> {
  const onPath = await findOnPath('go');
  if (onPath) return onPath;
  const fallback = process.platform === 'win32' ? 'C:\\Program Files\\Go\\bin\\go.exe' : '/usr/local/go/bin/go';
  return (await isExecutableFile(fallback)) ? fallback : undefined;
}

function missingGoError(): Error {
  return new Error(
    [
      'No Temporal CLI or server found and Go is not installed, so they cannot be built.',
      'Do one of the following:',
      '  - install Go >= 1.24 (https://go.dev/dl, or your distro package, e.g. `apt-get install golang-go` / `brew install go`)',
      `    and re-run; the CLI is then built into ${CACHED_TEMPORAL_PATH} automatically (go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION});`,
      '  - or put a `temporal` binary on PATH (https://docs.temporal.io/cli#install, e.g. `brew install temporal`);',
      '  - or set TEMPORAL_CLI=/absolute/path/to/temporal.',
    ].join('\n'),
  );
}

// ---------------------------------------------------------------------------------------------
// Cross-process build lock: mkdir is atomic; the owner refreshes the directory's mtime while it works.

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

async function tryAcquireLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  await writeFile(join(lock, 'owner.json'), JSON.stringify(owner));
  return true;
}

/** True when the existing lock is abandoned: too old, or its owner process on this host is gone. */
async function lockIsStale(lock: string): Promise<boolean> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lock)).mtimeMs;
  } catch {
    return false; // vanished: not stale, just retry the mkdir
  }
  if (Date.now() - mtimeMs > LOCK_STALE_MS) return true;
  try {
    const owner = JSON.parse(await readFile(join(lock, 'owner.json'), 'utf8')) as Partial<LockOwner>;
    if (owner.host === hostname() && typeof owner.pid === 'number' && owner.pid !== process.pid) {
      try {
        process.kill(owner.pid, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
      }
    }
  } catch {
    // owner.json not written yet (lock just created) or unreadable: rely on the age check.
  }
  return false;
}

async function releaseLock(lock: string): Promise<void> {
  await rm(lock, { recursive: true, force: true });
}

async function buildWithLock(tool: GoTool, log: (line: string) => void): Promise<void> {
  const lock = lockDir(tool);
  await mkdir(TOOLS_DIR, { recursive: true });
  let announcedWait = false;
  for (;;) {
    if (await tryAcquireLock(lock)) break;
    if (await lockIsStale(lock)) {
      log(`removing stale build lock ${lock}`);
      await releaseLock(lock);
      continue;
    }
    if (!announcedWait) {
      log(`another process is building the ${tool.label} (lock ${lock}); waiting for it to finish...`);
      announcedWait = true;
    }
    await sleep(1000);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => {});
  }, 30_000);
  heartbeat.unref();
  const releaseOnExit = (): void => {
    // Best effort if the process exits mid-build ('exit' handlers must be synchronous).
    try {
      rmSync(lock, { recursive: true, force: true });
    } catch {
      // ignore
    }
  };
  process.once('exit', releaseOnExit);
  try {
    // Someone else may have finished the build while we were waiting for the lock.
    if (await allExecutable(tool)) {
      if (announcedWait) log(`${tool.label} is ready in ${tool.bin}`);
      return;
    }
    await goInstall(tool, log);
  } finally {
    clearInterval(heartbeat);
    process.removeListener('exit', releaseOnExit);
    await releaseLock(lock);
  }
}

// ---------------------------------------------------------------------------------------------

async function goInstall(tool: GoTool, log: (line: string) => void): Promise<void> {
  const go = await findGo();
  if (!go) throw missingGoError();
  await mkdir(tool.bin, { recursive: true });

  const target = tool.targets.join(' ');
  log(`building ${tool.label} with go install (first run only, takes a few minutes)...`);
  log(`  $ GOBIN=${tool.bin} ${go} install -v ${target}`);
  const startedAt = Date.now();

  const tail: string[] = [];
  let compiled = 0;
  let downloads = 0;
  let lastPackage = '';
  const onLine = (line: string): void => {
    if (line.trim() === '') return;
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    if (line.startsWith('go: downloading ')) downloads++;
    else if (!line.startsWith('go: ') && !line.startsWith('#') && !/\s/.test(line.trim())) {
      compiled++;
      lastPackage = line.trim();
    }
  };
  // Throttled progress: at most one line every 5 s, and a heartbeat during long silent phases (big packages, linking).
  let reported = '';
  let lastReportAt = startedAt;
  const progress = setInterval(() => {
    const now = Date.now();
    const status =
      compiled > 0
        ? `compiled ${compiled} packages (last: ${lastPackage})`
        : downloads > 0
          ? `downloaded ${downloads} modules`
          : 'go install running (cached packages are not listed)';
    if (status === reported && now - lastReportAt < 30_000) return;
    const elapsed = Math.round((now - startedAt) / 1000);
    log(status === reported ? `  ...still building, ${status} [${elapsed}s]` : `  ...${status} [${elapsed}s]`);
    reported = status;
    lastReportAt = now;
  }, PROGRESS_INTERVAL_MS);
  progress.unref();

  const child = spawn(go, ['install', '-v', ...tool.targets], {
    cwd: TOOLS_DIR, // outside the project module, so the project's own go.mod (if any) plays no part
    env: { ...process.env, GOBIN: tool.bin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  forwardLines(child.stdout, onLine);
  forwardLines(child.stderr, onLine);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
    child.once('error', (error) => done({ code: null, signal: null, error }));
    child.once('close', (code, signal) => done({ code, signal }));
  });
  clearInterval(progress);
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);

  if (exit.error || exit.code !== 0) {
    const how = exit.error ? exit.error.message : exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
    throw new Error(
      `building the ${tool.label} failed after ${seconds}s (${how}): ${go} install ${target} with GOBIN=${tool.bin}\n` +
        `last lines of go output:\n${tail.join('\n') || '(none)'}`,
    );
  }
  if (!(await allExecutable(tool))) {
    throw new Error(
      `go install ${target} succeeded but ${tool.executables.join(' or ')} is missing or not executable ` +
        `(is GOBIN overridden by 'go env -w'?)\nlast lines of go output:\n${tail.join('\n') || '(none)'}`,
    );
  }
  log(`built ${tool.label} in ${seconds}s${compiled > 0 ? ` (${compiled} packages compiled)` : ''}: ${tool.bin}`);
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
    buffered = '';
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function isMainModule(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === 'boolean') return meta.main;
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isMainModule()) {
  try {
    const log = (line: string) => console.error(line);
    if (process.argv.includes('--server')) {
      const { server, sqlTool } = await ensureTemporalServerBinaries({ log });
      console.log(`${server}\n${sqlTool}`);
    } else {
      console.log(await ensureTemporalBinary({ log }));
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

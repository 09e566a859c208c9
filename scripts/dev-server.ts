// Starts a local Temporal dev server (`temporal server start-dev`) with toolgate's custom search attributes.
//
// Runnable directly: `node scripts/dev-server.ts [--db-filename F] [--port P] [--ui-port U] [--headless] [--log-file F]`
// starts it, prints the address and the UI URL, and stops it on SIGINT/SIGTERM.
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from '../workflows/contract/names.ts';
import { cliTypeName } from '../runtime/search-attribute-names.ts';
import { childProcessCheck, inProcessCheck } from './dev-server-attributes.ts';
import { HOST, canConnect, freePort, portIsFree } from './ports.ts';
import { ensureTemporalBinary } from './temporal-binary.ts';

/** Dynamic config passed as `--dynamic-config-value KEY=VALUE` (values are JSON). */
export const DYNAMIC_CONFIG: Record<string, unknown> = {
  'system.enableActivityEagerExecution': true,
  'frontend.enableUpdateWorkflowExecution': true, // already the default in server 1.29; kept explicit
  // The dev server has one history shard, and each of its queue readers polls at most 20 times a second
  // by default: every new workflow task then waits for one of those 50 ms tokens. Raised, a task is read
  // as soon as it is written. Storage and durability are untouched.
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  'history.outboundProcessorMaxPollRPS': 1000,
};

/**
 * A SQLite file in WAL mode with synchronous=FULL: every commit is fsync'd to the log before it returns, so
 * it is as durable against a crash or power loss as the default rollback journal, with a third of the cost
 * of a commit. (synchronous=NORMAL would skip that fsync: a power loss could drop the last commits.)
 */
export const DURABLE_SQLITE_PRAGMAS: Record<string, string> = { journal_mode: 'wal', synchronous: 'full' };

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const PORT_FREE_WAIT_MS = 10_000;
const LOG_TAIL_LINES = 30;

export interface DevServerOptions {
  /** Frontend gRPC port; a free one is picked when omitted. */
  port?: number;
  /** Web UI port; a free one is picked when omitted (ignored when `ui` is false). */
  uiPort?: number;
  /** SQLite file for persistence across restarts; in-memory when omitted. Its folder is created. */
  dbFilename?: string;
  /** Namespace to use (default "default", which the dev server always creates). */
  namespace?: string;
  /** Progress lines (also forwarded to ensureTemporalBinary). Silent when omitted, except for a first-run CLI build. */
  log?: (line: string) => void;
  /** false → `--headless`. Default true. */
  ui?: boolean;
  /** Where the server's stdout/stderr go: 'ignore' (default), 'inherit', or a file path (appended to). */
  logOutput?: string;
  /** Extra dynamic config values, added to (or overriding) the defaults above. */
  dynamicConfig?: Record<string, unknown>;
  /** SQLite pragmas (`--sqlite-pragma NAME=VALUE`) for the file; default WAL with synchronous=FULL (durable). */
  sqlitePragmas?: Record<string, string>;
  /**
   * Where the readiness check (search attributes, through the Temporal client) runs: 'in-process' (default), or
   * 'child-process' for a caller that should not keep the client's memory (scripts/dev-server-attributes.ts).
   */
  attributeCheck?: 'in-process' | 'child-process';
}

export interface DevServer {
  /** host:port of the frontend gRPC service, e.g. "127.0.0.1:40123". */
  address: string;
  port: number;
  /** 0 when started headless. */
  uiPort: number;
  /** '' when started headless. */
  uiUrl: string;
  namespace: string;
  dbFilename?: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  /** Resolves with the exit code (null when killed by a signal) whenever the process exits. */
  exited: Promise<number | null>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** The environment for the server process, without TEMPORAL_* client settings that could redirect it (address, TLS, API key...). */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('TEMPORAL_') && key !== 'TEMPORAL_CLI') continue;
    env[key] = value;
  }
  return env;
}

async function readLogTail(path: string, fromOffset: number): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(fromOffset, size - 64 * 1024);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer
        .toString('utf8')
        .split(/\r?\n/)
        .filter((line) => line.trim() !== '');
      return lines.slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/**
 * The CLI picks its HTTP, metrics and internal ports itself, after we picked the gRPC port: rarely, it picks the
 * same one (free until the server binds it). On a port of our choosing, that start is retried on new ports.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(options);
    } catch (error) {
      const collided = error instanceof Error && error.message.includes('address already in use');
      if (!collided || options.port !== undefined || attempt >= 3) throw error;
      options.log?.(`Temporal dev server lost a port race (attempt ${attempt}); starting again on other ports`);
    }
  }
}

async function startDevServerOnce(options: DevServerOptions): Promise<DevServer> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  const withUi = options.ui !== false;
  const logOutput = options.logOutput ?? 'ignore';
  const dbFilename = options.dbFilename === undefined ? undefined : resolve(options.dbFilename);

  const temporal = await ensureTemporalBinary(options.log ? { log: options.log } : {});

  let port = options.port;
  if (port === undefined) {
    port = await freePort();
  } else {
    // A restart on the same port may briefly find it still held by the previous process.
    const waitUntil = Date.now() + PORT_FREE_WAIT_MS;
    while (!(await portIsFree(port))) {
      if (Date.now() > waitUntil)
        throw new Error(`cannot start the Temporal dev server: port ${HOST}:${port} is in use`);
      await sleep(200);
    }
  }
  let uiPort = 0;
  if (withUi) {
    uiPort = options.uiPort ?? (await freePort());
    while (uiPort === port) uiPort = await freePort();
  }
  const address = `${HOST}:${port}`;

  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (withUi) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (dbFilename !== undefined) {
    mkdirSync(dirname(dbFilename), { recursive: true });
    args.push('--db-filename', dbFilename);
  }
  for (const { name, type } of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=${cliTypeName(type)}`);
  for (const [key, value] of Object.entries({ ...DYNAMIC_CONFIG, ...options.dynamicConfig })) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const [key, value] of Object.entries(
    dbFilename === undefined ? {} : (options.sqlitePragmas ?? DURABLE_SQLITE_PRAGMAS),
  ))
    args.push('--sqlite-pragma', `${key}=${value}`);

  // Output: a file is appended to; remember where this run starts so errors quote only its lines.
  let logFile: string | undefined;
  let logOffset = 0;
  let stdio: StdioOptions;
  let fd: number | undefined;
  if (logOutput === 'ignore' || logOutput === 'inherit') {
    stdio = ['ignore', logOutput, logOutput];
  } else {
    logFile = resolve(logOutput);
    mkdirSync(dirname(logFile), { recursive: true });
    fd = openSync(logFile, 'a');
    try {
      logOffset = statSync(logFile).size;
    } catch {
      logOffset = 0;
    }
    writeSync(fd, `\n=== ${new Date().toISOString()} ${temporal} ${args.join(' ')}\n`);
    stdio = ['ignore', fd, fd];
  }

  log(`starting Temporal dev server on ${address}${dbFilename ? ` (db ${dbFilename})` : ''}...`);
  const startedAt = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(temporal, args, { stdio, detached: false, env: cliEnv() });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }

  let exitedFlag = false;
  let exitDescription = '';
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((done) => {
    child.once('error', (error) => {
      // Spawn failure (ENOENT, EACCES...): no 'exit' event follows.
      spawnError = error;
      if (!exitedFlag) {
        exitedFlag = true;
        exitDescription = `failed to spawn: ${error.message}`;
        done(null);
      }
    });
    child.once('exit', (code, signal) => {
      if (exitedFlag) return;
      exitedFlag = true;
      exitDescription = signal ? `killed by ${signal}` : `exit code ${code}`;
      done(code);
    });
  });
  const onParentExit = (): void => {
    if (!exitedFlag) child.kill('SIGKILL');
  };
  process.on('exit', onParentExit);
  void exited.then(() => process.removeListener('exit', onParentExit));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitedFlag) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((done) => (timer = setTimeout(done, STOP_GRACE_MS)))]);
      clearTimeout(timer);
      if (!exitedFlag) {
        log(
          `Temporal dev server (pid ${child.pid}) did not exit within ${STOP_GRACE_MS / 1000}s of SIGTERM; sending SIGKILL`,
        );
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };

  const fail = async (reason: string): Promise<never> => {
    await stop();
    const tail = logFile ? await readLogTail(logFile, logOffset) : '';
    const where = logFile
      ? tail
        ? `\nlast lines of ${logFile}:\n${tail}`
        : `\n(${logFile} has no output from this run)`
      : logOutput === 'ignore'
        ? "\n(server output was discarded; pass logOutput: '<file>' or 'inherit' to see it)"
        : '';
    throw new Error(`Temporal dev server (${temporal} ${args.join(' ')}) ${reason}${where}`);
  };

  if (spawnError) return fail(exitDescription);
  const pid = child.pid ?? 0;

  // Readiness: the gRPC port accepts connections, then the namespace lists our search attributes.
  const attributes =
    options.attributeCheck === 'child-process'
      ? childProcessCheck(address, namespace, log)
      : await inProcessCheck(address, namespace, log);
  const deadline = startedAt + READY_TIMEOUT_MS;
  let portOpen = false;
  let lastProblem = 'the gRPC port never accepted connections';
  try {
    for (;;) {
      if (exitedFlag)
        return await fail(
          `exited before becoming ready (${exitDescription}, after ${((Date.now() - startedAt) / 1000).toFixed(1)}s)`,
        );
      const remaining = deadline - Date.now();
      if (remaining <= 0) return await fail(`was not ready within ${READY_TIMEOUT_MS / 1000}s: ${lastProblem}`);
      if (!portOpen) {
        portOpen = await canConnect(port, Math.min(1000, remaining));
        if (!portOpen) {
          await sleep(100);
          continue;
        }
      }
      try {
        const callDeadline = Date.now() + Math.max(1000, Math.min(10_000, remaining));
        // `--search-attribute` applies only when the namespace is created: an older database lacks new ones.
        const outcome = await attributes.ensure(callDeadline);
        if ('refused' in outcome) {
          const hint = dbFilename
            ? ` (the database ${dbFilename} was created with a different definition; delete it to start over)`
            : '';
          return await fail(
            `cannot be used: ${outcome.refused}${outcome.refused.includes('registered as') ? hint : ''}`,
          );
        }
        if (outcome.missing.length === 0) break;
        lastProblem = `search attributes still missing after registration: ${outcome.missing.join(', ')}`;
      } catch (error) {
        lastProblem = `listing or registering search attributes failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      await sleep(250);
    }
  } finally {
    await attributes.close();
  }

  const uiUrl = withUi ? `http://${HOST}:${uiPort}` : '';
  log(
    `Temporal dev server ready at ${address} in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (pid ${pid})${uiUrl ? `, UI ${uiUrl}` : ''}`,
  );
  const server: DevServer = { address, port, uiPort, uiUrl, namespace, pid, stop, exited };
  if (dbFilename !== undefined) server.dbFilename = dbFilename;
  return server;
}

// ---------------------------------------------------------------------------------------------

function isMainModule(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === 'boolean') return meta.main;
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(import.meta.url);
}

function parseCliArgs(argv: string[]): DevServerOptions {
  const options: DevServerOptions = { logOutput: 'inherit', log: (line) => console.error(line) };
  const usage =
    'usage: node scripts/dev-server.ts [--db-filename F] [--port P] [--ui-port U] [--headless] [--log-file F]';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return next;
    };
    const int = (): number => {
      const raw = value();
      const parsed = Number(raw);
      if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65535) throw new Error(`${flag}: not a port: ${raw}`);
      return parsed;
    };
    switch (flag) {
      case '--db-filename':
      case '-f':
        options.dbFilename = value();
        break;
      case '--port':
      case '-p':
        options.port = int();
        break;
      case '--ui-port':
        options.uiPort = int();
        break;
      case '--headless':
        options.ui = false;
        break;
      case '--log-file':
        options.logOutput = value();
        break;
      case '--help':
      case '-h':
        console.log(usage);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${usage}`);
    }
  }
  return options;
}

if (isMainModule()) {
  try {
    const server = await startDevServer(parseCliArgs(process.argv.slice(2)));
    console.log(`Temporal address: ${server.address} (namespace ${server.namespace})`);
    if (server.uiUrl) console.log(`Temporal UI:      ${server.uiUrl}`);
    if (server.dbFilename) console.log(`Database:         ${server.dbFilename}`);
    console.log('Press Ctrl-C to stop.');
    const shutdown = (signal: NodeJS.Signals): void => {
      console.error(`${signal}: stopping the Temporal dev server...`);
      void server.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    const code = await server.exited;
    // Reached both after a stop (process.exit above usually wins) and when the server dies by itself.
    process.exitCode = code ?? 0;
    if (code !== 0 && code !== null) console.error(`Temporal dev server exited with code ${code}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

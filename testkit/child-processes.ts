// Child processes of the bench and the chaos suite (workers, API instances): started with the Node that runs
// us, ready when a line matches or a probe succeeds, output kept as a bounded tail for error messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { processMemory } from './process-stats.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TAIL_CHARS = 64 * 1024;

export interface ChildService {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Last 64 KB of stdout and stderr. */
  output(): string;
  /** Lines of stdout seen so far that start with `prefix` (e.g. a READY line with JSON). */
  linesStartingWith(prefix: string): string[];
  memory(): { rssMb: number; peakMb: number } | undefined;
  alive(): boolean;
  exited: Promise<number | null>;
  /** Sends `signal` (SIGKILL by default) and waits for the exit; SIGKILL after `graceMs` otherwise. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Ready when a line of output contains this text... */
  readyText?: string;
  /** ...or when this probe resolves true (polled every 100 ms). */
  readyProbe?: () => Promise<boolean>;
  timeoutMs?: number;
}

export async function spawnService(options: SpawnOptions): Promise<ChildService> {
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let tail = '';
  const marked: string[] = [];
  let readySeen = false;
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-TAIL_CHARS);
    if (options.readyText && text.includes(options.readyText)) readySeen = true;
    for (const line of text.split('\n')) if (line.startsWith('READY ')) marked.push(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitedFlag = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitedFlag = true;
      resolve(code);
    });
  });
  const onParentExit = (): void => {
    if (!exitedFlag) child.kill('SIGKILL');
  };
  process.on('exit', onParentExit);
  void exited.then(() => process.removeListener('exit', onParentExit));

  const service: ChildService = {
    name: options.name,
    child,
    pid: child.pid ?? 0,
    output: () => tail,
    linesStartingWith: (prefix) => marked.filter((line) => line.startsWith(prefix)),
    memory: () => processMemory(child.pid ?? 0),
    alive: () => !exitedFlag,
    exited,
    async stop(signal = 'SIGKILL', graceMs = 10_000) {
      if (exitedFlag) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (exitedFlag) throw new Error(`${options.name} exited before it was ready:\n${tail.slice(-4000)}`);
    if (readySeen) break;
    if (options.readyProbe && (await options.readyProbe().catch(() => false))) break;
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${tail.slice(-4000)}`);
    }
    await sleep(100);
  }
  return service;
}

/** True when GET <url>/healthz answers 200 within a second. */
export async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

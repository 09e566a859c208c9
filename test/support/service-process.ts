// The real worker and API entry points as child processes, so tests can SIGKILL them.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function writeConfig(path: string, config: unknown): string {
  writeFileSync(path, stringify(config));
  return path;
}

export function spawnWorker(configPath: string, timeoutMs = 60_000): Promise<ServiceProcess> {
  return spawnService('worker/main.ts', configPath, 'worker running', timeoutMs);
}

export function spawnApi(configPath: string, timeoutMs = 30_000): Promise<ServiceProcess> {
  return spawnService('api/main.ts', configPath, 'API listening', timeoutMs);
}

/** Starts a service and resolves once it logs `readyMessage`. */
export async function spawnService(script: string, configPath: string, readyMessage: string, timeoutMs: number): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [script, '--config', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(`"msg":"${readyMessage}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was running:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

// The real worker and API entry points as child processes, so tests can SIGKILL them.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { spawnService, type ChildService } from './child-processes.ts';

export function writeConfig(path: string, config: unknown): string {
  writeFileSync(path, stringify(config));
  return path;
}

export function spawnWorker(
  configPath: string,
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): Promise<ChildService> {
  return spawnService({
    name: 'worker',
    script: 'worker/main.ts',
    args: ['--config', configPath],
    env: { LOG_LEVEL: 'info', ...env },
    readyText: '"msg":"worker running"',
    timeoutMs,
  });
}

export function spawnApi(
  configPath: string,
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<ChildService> {
  return spawnService({
    name: 'API',
    script: 'api/main.ts',
    args: ['--config', configPath],
    env: { LOG_LEVEL: 'info', ...env },
    readyText: '"msg":"API listening"',
    timeoutMs,
  });
}

// What `npm start`'s supervisor (scripts/start.ts) needs of the config, read in a short-lived child: validating
// the config loads zod and the contract's schemas (some 40 MB of RSS that a process keeps), and the supervisor
// only spawns and waits. `node scripts/start-settings.ts --config F` prints the settings as one JSON line, or
// the config's problem on stderr (exit code 2).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

export interface StartSettings {
  /** The port of `temporal.address`, where the dev server listens. */
  temporalPort: number;
  llm: { model: string; baseURL: string };
  apiUrl: string;
  console: boolean;
}

/** A config that does not validate: its message names the file and the fields. */
export class StartConfigError extends Error {}

export async function readStartSettings(configFile: string): Promise<StartSettings> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      fileURLToPath(import.meta.url),
      '--config',
      configFile,
    ]);
    return JSON.parse(stdout) as StartSettings;
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    if (code === 2 && stderr) throw new StartConfigError(stderr.trimEnd());
    throw error;
  }
}

if (import.meta.main) {
  const { ConfigError, loadConfig } = await import('../runtime/config.ts');
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  try {
    const config = loadConfig(values.config!);
    const settings: StartSettings = {
      temporalPort: Number(config.temporal.address.split(':').at(-1)),
      llm: { model: config.llm.model, baseURL: config.llm.baseURL },
      apiUrl: config.api.publicUrl ?? `http://${config.api.host}:${config.api.port}`,
      console: config.api.ui.enabled,
    };
    process.stdout.write(`${JSON.stringify(settings)}\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  }
}

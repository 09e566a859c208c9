// `npm start`: the whole product on this machine. Ensures the Temporal CLI, starts the dev server on a SQLite
// file (pending approvals survive a restart of everything), the demo model when configured, the worker and
// the API; prints where everything is; stops it all on Ctrl-C. With TEMPORAL_ADDRESS set it uses that
// cluster and starts no dev server. It stays a small process: what needs the Temporal client runs in its
// children (the readiness check of the dev server too, scripts/dev-server-attributes.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_MODEL_NAME, startDemoModel } from '../demo/demo-model.ts';
import { configPath, onStopSignal } from '../runtime/process-lifecycle.ts';
import { startDevServer, type DevServer } from './dev-server.ts';
import { StartConfigError, readStartSettings } from './start-settings.ts';

const DATA = resolve('.data');
const log = (line: string) => process.stdout.write(`[toolgate] ${line}\n`);

/** A stable API token for this machine, so a restart does not log the CLI out. Returns where it came from. */
function ensureApiToken(): string {
  if (process.env.TOOLGATE_TOKEN) return 'TOOLGATE_TOKEN';
  const file = join(DATA, 'api-token');
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('base64url'), { mode: 0o600 });
  process.env.TOOLGATE_TOKEN = readFileSync(file, 'utf8').trim();
  return '.data/api-token';
}

/** The key pair config/toolgate.yaml names: the API signs decisions and rounds, the worker's rounds verify them. */
async function ensureSigningKeys(): Promise<void> {
  const file = join(DATA, 'signing-key');
  if (existsSync(file)) return;
  // Only on the first start: the Ed25519 library stays out of the supervisor otherwise.
  const { generateSigningKeys } = await import('../runtime/signing.ts');
  const { privateKey, publicKey } = generateSigningKeys();
  writeFileSync(file, `${privateKey}\n`, { mode: 0o600 });
  writeFileSync(`${file}.pub`, `${publicKey}\n`);
  log('generated the signing key pair .data/signing-key and .data/signing-key.pub');
}

function ensureScratch(): void {
  const scratch = resolve(process.env.TOOLGATE_SCRATCH ?? join(DATA, 'scratch'));
  if (existsSync(scratch)) return;
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, 'notes.txt'), 'Files in this folder are what the demo filesystem MCP server can see.\n');
}

function spawnService(name: string, script: string, configFile: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL(`../${script}`, import.meta.url)), '--config', configFile],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: process.env,
    },
  );
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void stop(1);
    }
  });
  return child;
}

async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not become healthy at ${url} within ${timeoutMs / 1000} s`);
}

let stopping = false;
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

async function stop(code: number): Promise<never> {
  stopping = true;
  log('stopping...');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  log('stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const configFile = configPath(values.config);
  mkdirSync(DATA, { recursive: true });
  const tokenSource = ensureApiToken();
  await ensureSigningKeys();
  ensureScratch();
  const config = await readStartSettings(configFile);
  onStopSignal(() => void stop(0));

  let devServer: DevServer | undefined;
  if (!process.env.TEMPORAL_ADDRESS) {
    const port = config.temporalPort;
    log(`starting the Temporal dev server (state in ${join(DATA, 'temporal.sqlite')})...`);
    devServer = await startDevServer({
      port,
      uiPort: Number(process.env.TOOLGATE_UI_PORT ?? 8233),
      dbFilename: join(DATA, 'temporal.sqlite'),
      logOutput: join(DATA, 'temporal.log'),
      log,
      attributeCheck: 'child-process',
    });
    cleanups.push(() => devServer!.stop());
  } else {
    log(`using the Temporal cluster at ${process.env.TEMPORAL_ADDRESS}`);
  }

  if (config.llm.model === DEMO_MODEL_NAME) {
    const url = new URL(config.llm.baseURL);
    const demo = await startDemoModel({ host: url.hostname, port: Number(url.port), log });
    cleanups.push(() => demo.close());
  }

  children.push(spawnService('worker', 'worker/main.ts', configFile));
  children.push(spawnService('API', 'api/main.ts', configFile));
  const { apiUrl } = config;
  await waitForHealthy(apiUrl, 60_000);

  log('ready');
  log(`  API            ${apiUrl}  (bearer token in ${tokenSource})`);
  log(`  OpenAPI        ${apiUrl}/openapi.json`);
  if (config.console) log(`  Console        ${apiUrl}/ui  (sign in with the same token)`);
  if (devServer) log(`  Temporal UI    ${devServer.uiUrl}`);
  log(`  Temporal gRPC  ${devServer?.address ?? process.env.TEMPORAL_ADDRESS}`);
  log(
    `  LLM            ${config.llm.model} at ${config.llm.baseURL}${config.llm.model === DEMO_MODEL_NAME ? ' (built-in demo model, rule-based, not an AI)' : ''}`,
  );
  log('try:  export TOOLGATE_TOKEN=$(cat .data/api-token)');
  log('      npx toolgate ask "use write_file with path hello.txt content hi"');
  log('press Ctrl-C to stop');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof StartConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  void stop(1);
});

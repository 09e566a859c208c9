// The processes under test: a Temporal dev server on a SQLite file (fixed port, so it can be restarted in
// place), two workers (worker/main.ts) and two API instances (api/main.ts) as child processes. A supervisor
// restarts any worker or API instance that exits; the killer SIGKILLs them on purpose.
import { join } from 'node:path';
import { healthy, spawnService, type ChildService } from '../bench/processes.ts';
import { startDevServer, type DevServer } from '../scripts/dev-server.ts';
import { freePort } from '../scripts/ports.ts';

export type Role = 'worker' | 'api';

export interface Slot {
  name: string;
  role: Role;
  /** Undefined while (re)starting. */
  service: ChildService | undefined;
  port?: number;
  url?: string;
  starts: number;
  /** Exits the killer did not cause. */
  unexpectedExits: number;
  /** Set while the killer takes it down, so the supervisor does not race it. */
  killing: boolean;
}

export interface Cluster {
  devServer: DevServer;
  slots: Slot[];
  apiUrls(): string[];
  liveApiUrls(): string[];
  /** SIGKILLs the slot's process and starts a new one; resolves when it is ready again. */
  killAndRestart(slot: Slot, downMs: number): Promise<void>;
  /** Stops the dev server (SIGKILL or SIGTERM) and starts it again on the same port and SQLite file. */
  restartDevServer(signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startCluster(options: {
  folder: string;
  configPath: string;
  workers: number;
  apis: number;
  log: (line: string) => void;
}): Promise<Cluster> {
  const { folder, configPath, log } = options;
  const dbFilename = join(folder, 'temporal.sqlite');
  const logOutput = join(folder, 'temporal.log');
  // Durable SQLite defaults: fault runs must not use the latency pragmas.
  let devServer = await startDevServer({ dbFilename, ui: false, logOutput, log });
  const port = devServer.port;
  let closing = false;

  const startService = async (slot: Slot): Promise<ChildService> => {
    if (slot.role === 'worker') {
      return spawnService({
        name: slot.name,
        script: 'worker/main.ts',
        args: ['--config', configPath],
        env: { LOG_LEVEL: 'info', TEMPORAL_ADDRESS: devServer.address },
        readyText: '"msg":"worker running"',
        timeoutMs: 120_000,
      });
    }
    return spawnService({
      name: slot.name,
      script: 'api/main.ts',
      args: ['--config', configPath, '--port', String(slot.port)],
      env: { LOG_LEVEL: 'warn', TEMPORAL_ADDRESS: devServer.address },
      readyProbe: () => healthy(slot.url!),
      timeoutMs: 60_000,
    });
  };

  const supervise = (slot: Slot, service: ChildService): void => {
    void service.exited.then(async (code) => {
      if (closing || slot.killing || slot.service !== service) return;
      slot.unexpectedExits++;
      slot.service = undefined;
      log(`  ${slot.name} exited by itself (code ${code}); restarting. Last output:\n${service.output().slice(-1500)}`);
      await launch(slot);
    });
  };

  const launch = async (slot: Slot): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (closing) return;
      try {
        const service = await startService(slot);
        slot.service = service;
        slot.starts++;
        supervise(slot, service);
        return;
      } catch (error) {
        log(`  ${slot.name} failed to start (attempt ${attempt}): ${String(error).slice(0, 500)}`);
        await sleep(1000);
      }
    }
  };

  const slots: Slot[] = [];
  for (let i = 0; i < options.workers; i++) {
    slots.push({
      name: `worker-${i + 1}`,
      role: 'worker',
      service: undefined,
      starts: 0,
      unexpectedExits: 0,
      killing: false,
    });
  }
  for (let i = 0; i < options.apis; i++) {
    const apiPort = await freePort();
    slots.push({
      name: `api-${i + 1}`,
      role: 'api',
      service: undefined,
      port: apiPort,
      url: `http://127.0.0.1:${apiPort}`,
      starts: 0,
      unexpectedExits: 0,
      killing: false,
    });
  }
  // One at a time: two cores.
  for (const slot of slots) await launch(slot);

  return {
    get devServer() {
      return devServer;
    },
    slots,
    apiUrls: () => slots.filter((slot) => slot.role === 'api').map((slot) => slot.url!),
    liveApiUrls: () => slots.filter((slot) => slot.role === 'api' && slot.service?.alive()).map((slot) => slot.url!),
    async killAndRestart(slot, downMs) {
      slot.killing = true;
      try {
        await slot.service?.stop('SIGKILL');
        slot.service = undefined;
        await sleep(downMs);
        await launch(slot);
      } finally {
        slot.killing = false;
      }
    },
    async restartDevServer(signal, downMs) {
      if (signal === 'SIGKILL') {
        process.kill(devServer.pid, 'SIGKILL');
        await devServer.exited;
      } else {
        await devServer.stop();
      }
      await sleep(downMs);
      devServer = await startDevServer({ dbFilename, port, ui: false, logOutput, log });
    },
    async close() {
      closing = true;
      for (const slot of slots) await slot.service?.stop('SIGTERM', 5000).catch(() => undefined);
      await devServer.stop();
    },
  };
}

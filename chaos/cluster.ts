// The processes under test: Temporal (a dev server on a SQLite file on a fixed port, so it can be restarted in
// place, or with `temporal: 'cluster'` the multi-service cluster on PostgreSQL with mTLS), two workers
// (worker/main.ts) and two API instances (api/main.ts) as child processes. A supervisor restarts any worker
// or API instance that exits; the killer SIGKILLs them on purpose.
import { join } from 'node:path';
import { healthy, spawnService, type ChildService } from '../testkit/child-processes.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { freePort } from '../scripts/ports.ts';
import { startTemporalCluster } from '../scripts/temporal-cluster.ts';

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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Temporal service under test, as the chaos run uses it. */
export interface TemporalUnderTest {
  kind: 'dev server' | 'cluster';
  address: string;
  /** TEMPORAL_* variables for the processes and for clients. */
  env: Record<string, string>;
  /** Kills the state-holding processes (the dev server; the cluster's frontend, history and matching) and starts them again. */
  restart(signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function startTemporal(
  kind: TemporalUnderTest['kind'],
  folder: string,
  log: (line: string) => void,
): Promise<TemporalUnderTest> {
  if (kind === 'cluster') {
    const cluster = await startTemporalCluster({ folder: join(folder, 'cluster'), log });
    return {
      kind,
      address: cluster.address,
      env: cluster.env,
      restart: (signal, downMs) => cluster.restartServices(['frontend', 'history', 'matching'], signal, downMs),
      stop: () => cluster.stop(),
    };
  }
  const dbFilename = join(folder, 'temporal.sqlite');
  const logOutput = join(folder, 'temporal.log');
  // Durable SQLite defaults: fault runs must not use the latency pragmas.
  let devServer = await startDevServer({ dbFilename, ui: false, logOutput, log });
  const port = devServer.port;
  return {
    kind,
    address: devServer.address,
    env: { TEMPORAL_ADDRESS: devServer.address },
    async restart(signal, downMs) {
      if (signal === 'SIGKILL') {
        process.kill(devServer.pid, 'SIGKILL');
        await devServer.exited;
      } else {
        await devServer.stop();
      }
      await sleep(downMs);
      devServer = await startDevServer({ dbFilename, port, ui: false, logOutput, log });
    },
    stop: () => devServer.stop(),
  };
}

export interface Cluster {
  temporal: TemporalUnderTest;
  slots: Slot[];
  apiUrls(): string[];
  liveApiUrls(): string[];
  /** SIGKILLs the slot's process and starts a new one; resolves when it is ready again. */
  killAndRestart(slot: Slot, downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(options: {
  folder: string;
  configPath: string;
  workers: number;
  apis: number;
  temporal: TemporalUnderTest['kind'];
  log: (line: string) => void;
}): Promise<Cluster> {
  const { folder, configPath, log } = options;
  const temporal = await startTemporal(options.temporal, folder, log);
  let closing = false;

  const startService = async (slot: Slot): Promise<ChildService> => {
    if (slot.role === 'worker') {
      return spawnService({
        name: slot.name,
        script: 'worker/main.ts',
        args: ['--config', configPath],
        env: { ...temporal.env, LOG_LEVEL: 'info' },
        readyText: '"msg":"worker running"',
        timeoutMs: 120_000,
      });
    }
    return spawnService({
      name: slot.name,
      script: 'api/main.ts',
      args: ['--config', configPath, '--port', String(slot.port)],
      env: { ...temporal.env, LOG_LEVEL: 'warn' },
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
    temporal,
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
    async close() {
      closing = true;
      for (const slot of slots) await slot.service?.stop('SIGTERM', 5000).catch(() => undefined);
      await temporal.stop();
    },
  };
}

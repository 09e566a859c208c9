// A real multi-service Temporal cluster on one machine, as production runs it: temporal-server (same 1.29
// line as the dev server) with frontend, history, matching and worker as four processes, PostgreSQL for
// persistence and SQL advanced visibility, TLS with client certificates (mTLS) on the frontend and between
// services, certificates made at start. toolgate reaches it through Temporal's own TEMPORAL_* variables.
//
// Runnable directly: `npm run cluster -- [--folder F] [--write-env F]` starts it, prints those variables
// (and writes them to --write-env), and stops it on SIGINT/SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { ensureSearchAttributes } from '../runtime/search-attributes.ts';
import { makeCertificates, type ClusterCertificates } from './cluster/certificates.ts';
import { startPostgres, type Postgres } from './cluster/postgres.ts';
import { SERVICES, serverConfigYaml, type ServiceName, type ServicePorts } from './cluster/server-config.ts';
import { canConnect, freeLowPort, HOST } from './ports.ts';
import { ensureTemporalServerBinaries } from './temporal-binary.ts';

const NAMESPACE = 'default';
const DEFAULT_HISTORY_SHARDS = 4;
const READY_TIMEOUT_MS = 120_000;
const GRPC_ALREADY_EXISTS = 6;

export interface TemporalCluster {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
  certificates: ClusterCertificates;
  postgres: Postgres;
  /** The TEMPORAL_* variables that point toolgate, the Temporal CLI and the SDKs at this cluster. */
  env: Record<string, string>;
  /** Process ids of the services now (a restarted service has a new one). */
  pids(): Record<ServiceName, number>;
  /** SIGKILLs (or SIGTERMs) services together and starts them again on the same ports. */
  restartServices(services: ServiceName[], signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function setUpSchemas(sqlTool: string, postgres: Postgres, log: (line: string) => void): Promise<void> {
  const run = promisify(execFile);
  const common = ['--plugin', 'postgres12', '--ep', postgres.host, '-p', String(postgres.port), '-u', postgres.user];
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    const steps = [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '--schema-name', schema]];
    for (const step of steps) {
      try {
        await run(sqlTool, [...common, '--db', database, ...step], {
          env: { ...process.env, SQL_PASSWORD: postgres.password },
        });
      } catch (error) {
        const { stderr, stdout } = error as { stderr?: string; stdout?: string };
        throw new Error(
          `temporal-sql-tool ${step[0]} on ${database} failed:\n${(stderr || stdout || String(error)).slice(-1500)}`,
          { cause: error },
        );
      }
    }
  }
  log('Temporal schemas set up in PostgreSQL (persistence and visibility)');
}

async function allocatePorts(): Promise<Record<ServiceName, ServicePorts>> {
  const entries = [];
  for (const service of SERVICES) {
    const port: ServicePorts = { grpcPort: await freeLowPort(), membershipPort: await freeLowPort() };
    if (service === 'frontend') port.httpPort = await freeLowPort();
    entries.push([service, port] as const);
  }
  return Object.fromEntries(entries) as Record<ServiceName, ServicePorts>;
}

function connectTo(address: string, tls: ClusterCertificates): Promise<Connection> {
  return Connection.connect({
    address,
    tls: {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: readFileSync(tls.ca),
      clientCertPair: { crt: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) },
    },
    connectTimeout: 5000,
  });
}

/** A workflow started and terminated: history, matching and visibility all answer. */
async function probe(connection: Connection): Promise<void> {
  const workflowId = `cluster-probe-${process.pid}-${Date.now()}`;
  await connection.workflowService.startWorkflowExecution({
    namespace: NAMESPACE,
    workflowId,
    workflowType: { name: 'probe' },
    taskQueue: { name: 'cluster-probe' },
    requestId: workflowId,
  });
  await connection.workflowService.terminateWorkflowExecution({
    namespace: NAMESPACE,
    workflowExecution: { workflowId },
    reason: 'cluster readiness probe',
  });
}

/** The namespace, registered once and then visible to every frontend, and toolgate's search attributes on it. */
async function prepareNamespace(address: string, tls: ClusterCertificates, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      connection = await connectTo(address, tls);
      try {
        await connection.workflowService.registerNamespace({
          namespace: NAMESPACE,
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        });
        log(`namespace ${NAMESPACE} registered`);
      } catch (error) {
        if (!isGrpcServiceError(error) || (error.code as number) !== GRPC_ALREADY_EXISTS) throw error;
      }
      await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      const missing = await ensureSearchAttributes(connection, NAMESPACE, log);
      if (missing.length === 0) {
        await probe(connection);
        return;
      }
      lastError = new Error(`search attributes not listed yet: ${missing.join(', ')}`);
    } catch (error) {
      lastError = error;
    } finally {
      await connection?.close();
    }
    await sleep(1000);
  }
  throw new Error(
    `the Temporal cluster at ${address} did not become ready: ${(lastError as Error)?.message ?? lastError}`,
  );
}

export async function startTemporalCluster(
  options: {
    folder?: string;
    log?: (line: string) => void;
    /** Fixed when the cluster's database is made; the benchmark's scale-out scenario varies it. */
    historyShards?: number;
  } = {},
): Promise<TemporalCluster> {
  const log = options.log ?? (() => {});
  const folder = resolve(options.folder ?? mkdtempSync(join(tmpdir(), 'toolgate-cluster-')));
  mkdirSync(folder, { recursive: true });
  const startedAt = Date.now();
  const { server, sqlTool } = await ensureTemporalServerBinaries({ log });
  const certificates = makeCertificates(join(folder, 'tls'));
  const postgres = await startPostgres(log);
  const children = new Map<ServiceName, ChildProcess>();
  try {
    await setUpSchemas(sqlTool, postgres, log);
    const ports = await allocatePorts();
    const configDir = join(folder, 'config');
    mkdirSync(configDir, { recursive: true });
    const dynamicConfigFile = join(configDir, 'dynamic.yaml');
    writeFileSync(dynamicConfigFile, 'system.enableActivityEagerExecution:\n  - value: true\n');
    writeFileSync(
      join(configDir, 'development.yaml'),
      serverConfigYaml({
        postgres,
        certificates,
        ports,
        dynamicConfigFile,
        historyShards: options.historyShards ?? DEFAULT_HISTORY_SHARDS,
      }),
    );
    const logFile = (service: ServiceName) => join(folder, `${service}.log`);
    const startService = (service: ServiceName): ChildProcess => {
      const out = openSync(logFile(service), 'a');
      const child = spawn(
        server,
        [
          '--root',
          folder,
          '--config',
          'config',
          '--env',
          'development',
          '--allow-no-auth',
          'start',
          '--service',
          service,
        ],
        { stdio: ['ignore', out, out] },
      );
      children.set(service, child);
      return child;
    };
    const address = `${HOST}:${ports.frontend.grpcPort}`;
    // All four start together, as they would on separate hosts; one that loses the race to initialize the
    // cluster's metadata exits, and is started again.
    const waitForPort = async (service: ServiceName): Promise<void> => {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      let restarts = 0;
      // Every service joins the membership ring; only frontend, history and matching serve gRPC.
      const port = service === 'frontend' ? ports.frontend.grpcPort : ports[service].membershipPort;
      while (!(await canConnect(port, 500))) {
        if (Date.now() > deadline || (children.get(service)!.exitCode !== null && restarts++ >= 3)) {
          throw new Error(
            `temporal-server ${service} did not start:\n${readFileSync(logFile(service), 'utf8').slice(-2000)}`,
          );
        }
        if (children.get(service)!.exitCode !== null) startService(service);
        await sleep(200);
      }
    };
    for (const service of SERVICES) startService(service);
    for (const service of SERVICES) await waitForPort(service);
    await prepareNamespace(address, certificates, log);
    log(
      `Temporal cluster ready at ${address} with mTLS in ${((Date.now() - startedAt) / 1000).toFixed(1)}s (logs in ${folder})`,
    );

    const stopChild = async (service: ServiceName, signal: NodeJS.Signals): Promise<void> => {
      const child = children.get(service);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((done) => child.once('exit', done));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    };
    return {
      address,
      namespace: NAMESPACE,
      certificates,
      postgres,
      env: {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: NAMESPACE,
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_SERVER_NAME: certificates.serverName,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.ca,
        TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.clientKey,
      },
      pids() {
        return Object.fromEntries(SERVICES.map((service) => [service, children.get(service)?.pid ?? 0])) as Record<
          ServiceName,
          number
        >;
      },
      async restartServices(services, signal, downMs) {
        await Promise.all(services.map((service) => stopChild(service, signal)));
        await sleep(downMs);
        for (const service of services) startService(service);
        for (const service of services) await waitForPort(service);
      },
      async stop() {
        for (const service of [...SERVICES].reverse()) await stopChild(service, 'SIGTERM');
        await postgres.stop();
      },
    };
  } catch (error) {
    for (const child of children.values()) child.kill('SIGKILL');
    await postgres.stop();
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { folder: { type: 'string' }, 'write-env': { type: 'string' } } });
  const cluster = await startTemporalCluster({
    ...(values.folder ? { folder: values.folder } : {}),
    log: (line) => console.error(line),
  });
  const exports = Object.entries(cluster.env).map(([name, value]) => `${name}=${value}`);
  if (values['write-env']) writeFileSync(values['write-env'], `${exports.join('\n')}\n`);
  console.log(exports.map((line) => `export ${line}`).join('\n'));
  const stop = (): void => {
    void cluster.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

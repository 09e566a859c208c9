// A toolgate of a test file's own, with sealed payloads: a Temporal dev server of its own (its SQLite file in
// `folder`, for tests that read the disk; the run's cluster under TOOLGATE_TEST_TEMPORAL=cluster), the scripted
// LLM, a `k8s` MCP test server, a worker and the API in front. Sealed rounds need a server of their own: the
// other files' APIs share the run's namespace and could not read them.
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { parseConfig, type ToolgateConfig } from '../../runtime/config.ts';
import { createLogger } from '../../runtime/logger.ts';
import { dataConverterFor, EncryptionCodec } from '../../runtime/payload-codec.ts';
import { connectToTemporal } from '../../runtime/temporal-connection.ts';
import { startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { createToolgateWorker, type ToolgateWorker } from '../../worker/create-worker.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import {
  routeByMarker,
  startScriptedLlmServer,
  type LlmScript,
  type ScriptedLlmServer,
} from '../../testkit/scripted-llm-server.ts';
import { testPostgres } from '../../testkit/temporal-store.ts';
import { startApi, type ApiHarness } from './api-harness.ts';
import { workflowBundle } from './round-harness.ts';
import { TEST_SIGNING } from '../../testkit/signing.ts';

export interface SealedStackOptions {
  /** Task queue, deployment and logger name. */
  name: string;
  /** Where the dev server keeps its database (in memory without it). */
  folder?: string;
  mcp?: Omit<Parameters<typeof startHttpMcpServer>[0], 'name'>;
  /** More settings of the `k8s` server (e.g. `userCredential`). */
  k8s?: Record<string, unknown>;
  /** The rest of the config: approvals, codec (required), slack, ... */
  config: (parts: { llm: ScriptedLlmServer; mcp: HttpMcpServer }) => Record<string, unknown>;
  api?: Parameters<typeof startApi>[1];
}

export interface SealedStack {
  address: string;
  /** LLM scripts keyed by a marker that each test puts in its query. */
  routes: Record<string, LlmScript>;
  llm: ScriptedLlmServer;
  mcp: HttpMcpServer;
  config: ToolgateConfig;
  connection: NativeConnection;
  worker: ToolgateWorker;
  /** With the config's data converter: reads payloads as the API does. */
  client: Client;
  codec: EncryptionCodec;
  api: ApiHarness;
  /** Closes everything, newest first. */
  close(): Promise<void>;
}

export async function startSealedStack(options: SealedStackOptions): Promise<SealedStack> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    let server: DevServer | undefined;
    if (!testPostgres()) {
      const database = options.folder ? { dbFilename: join(options.folder, 'temporal.sqlite') } : {};
      server = await startDevServer({ ui: false, ...database });
      closers.push(() => server!.stop());
    }
    const address = server?.address ?? process.env.TEMPORAL_ADDRESS!;
    const routes: Record<string, LlmScript> = {};
    const llm = await startScriptedLlmServer(routeByMarker(routes));
    closers.push(() => llm.close());
    const mcp = await startHttpMcpServer({ name: 'k8s', ...options.mcp });
    closers.push(() => mcp.close());
    const config = parseConfig(
      {
        temporal: { address, taskQueue: options.name, deployment: { name: options.name } },
        llm: { baseURL: llm.baseURL, model: 'scripted' },
        servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, ...options.k8s }],
        signing: TEST_SIGNING,
        ...options.config({ llm, mcp }),
      },
      options.name,
    );
    const { connection } = await connectToTemporal(config.temporal);
    closers.push(() => connection.close());
    const logger = createLogger(options.name);
    logger.level = process.env.LOG_LEVEL ?? 'warn';
    const worker = await createToolgateWorker({ config, connection, logger, workflowBundle: workflowBundle() });
    const running = worker.worker.run();
    closers.push(() => worker.close().then(() => running));
    await worker.promote();
    const client = new Client({ connection, dataConverter: dataConverterFor(config.codec) });
    const codec = client.options.loadedDataConverter.payloadCodecs.find((item) => item instanceof EncryptionCodec);
    if (!codec) throw new Error(`${options.name}: a sealed stack needs codec keys in its config`);
    // Slack's route too when the config has Slack.
    const api = await startApi({ client, config }, { slack: config.slack, ...options.api });
    closers.push(() => api.close());
    return { address, routes, llm, mcp, config, connection, worker, client, codec, api, close };
  } catch (error) {
    await close();
    throw error;
  }
}

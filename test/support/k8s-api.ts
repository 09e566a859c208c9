// The set-up most API tests share: a `k8s` MCP test server (trusted), a round harness with a worker, and the
// API in front of it; closed newest first.
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startApi, type ApiHarness } from './api-harness.ts';
import { startHarness, type Harness } from './round-harness.ts';

export interface K8sApiOptions {
  approvers: string[];
  /** Per-tool settings of the k8s server. */
  tools?: Record<string, unknown>;
  slack?: Record<string, unknown>;
  api?: Parameters<typeof startApi>[1];
  /** A Temporal server of the test's own, for tests that count what a whole namespace holds. */
  temporalAddress?: string;
}

export interface K8sApi {
  mcp: HttpMcpServer;
  harness: Harness;
  api: ApiHarness;
  close(): Promise<void>;
}

export async function startK8sApi(options: K8sApiOptions): Promise<K8sApi> {
  const mcp = await startHttpMcpServer({ name: 'k8s' });
  const harness = await startHarness({
    approvals: { approvers: options.approvers },
    servers: [{ name: 'k8s', transport: 'http', url: mcp.url, trusted: true, tools: options.tools ?? {} }],
    ...(options.slack ? { slack: options.slack } : {}),
    ...(options.temporalAddress ? { temporalAddress: options.temporalAddress } : {}),
  }).catch(async (error: unknown) => {
    await mcp.close();
    throw error;
  });
  const api = await startApi(harness, { slack: harness.config.slack, ...options.api }).catch(async (error: unknown) => {
    await harness.close();
    await mcp.close();
    throw error;
  });
  return {
    mcp,
    harness,
    api,
    async close() {
      await api.close();
      await harness.close();
      await mcp.close();
    },
  };
}

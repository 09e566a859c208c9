// The cluster's frontend refuses every client that does not present a certificate from the cluster's CA, so
// the mTLS docs/operations.md promises is a gate, not an option. Runs only against the cluster (npm run test:cluster,
// TOOLGATE_TEST_TEMPORAL=cluster): the dev server speaks plain TCP and has nothing to refuse.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import { connectToTemporal } from '../../runtime/temporal-connection.ts';
import { makeCertificates } from '../../scripts/cluster/certificates.ts';

const NAMESPACE = 'default';

/** Connects, then lists workflows: resolves only if the frontend answered an RPC. */
async function listWorkflows(connection: NativeConnection): Promise<number> {
  try {
    const { executions } = await connection.workflowService.listWorkflowExecutions({
      namespace: NAMESPACE,
      pageSize: 1,
    });
    return executions.length;
  } finally {
    await connection.close();
  }
}

const attempt = async (tls: NativeConnectionOptions['tls']): Promise<number> =>
  listWorkflows(await NativeConnection.connect({ address: inject('temporalAddress'), tls }));

/**
 * The frontend hung up before the first RPC (the SDK's system-info probe on connect) was answered: a transport
 * error, not a gRPC status. Whether the client then writes (broken pipe) or reads (connection closed) is a race.
 */
const REFUSED = /Failed to call GetSystemInfo: .*source: tonic::transport::Error\(Transport, /;

describe.runIf(process.env.TOOLGATE_TEST_TEMPORAL === 'cluster')(
  'the cluster frontend requires mTLS (runs in the cluster job only: TOOLGATE_TEST_TEMPORAL=cluster)',
  () => {
    // What global-setup exported for the cluster (scripts/temporal-cluster.ts), read where the tests run: the
    // suite body is collected even when skipped.
    const serverTls = () => ({
      serverNameOverride: process.env.TEMPORAL_TLS_SERVER_NAME!,
      serverRootCACertificate: readFileSync(process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH!),
    });

    it('serves the configured client certificate', async () => {
      const config = parseConfig(
        {
          temporal: { address: inject('temporalAddress') },
          llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' },
          approvals: { approvers: ['a'] },
        },
        'test',
      );
      const { connection } = await connectToTemporal(config.temporal);
      expect(await listWorkflows(connection)).toBeGreaterThanOrEqual(0);
    });

    it('refuses a client without TLS', async () => {
      await expect(attempt(false)).rejects.toThrow(REFUSED);
    });

    it('refuses a TLS client without a certificate', async () => {
      await expect(attempt(serverTls())).rejects.toThrow(REFUSED);
    });

    it('refuses a client certificate from another CA', async () => {
      const stranger = makeCertificates(mkdtempSync(join(tmpdir(), 'toolgate-stranger-ca-')));
      await expect(
        attempt({
          ...serverTls(),
          clientCertPair: { crt: readFileSync(stranger.clientCert), key: readFileSync(stranger.clientKey) },
        }),
      ).rejects.toThrow(REFUSED);
    });
  },
);

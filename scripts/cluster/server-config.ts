// The configuration of a multi-service Temporal server on PostgreSQL (persistence and SQL advanced
// visibility), with TLS everywhere: the frontend asks clients for a certificate from the test CA (mTLS),
// and the services talk to each other over mutual TLS too.
import { stringify } from 'yaml';
import type { ClusterCertificates } from './certificates.ts';
import type { Postgres } from './postgres.ts';

export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServicePorts {
  grpcPort: number;
  membershipPort: number;
  httpPort?: number;
}

export function serverConfigYaml(options: {
  postgres: Postgres;
  certificates: ClusterCertificates;
  ports: Record<ServiceName, ServicePorts>;
  dynamicConfigFile: string;
  historyShards: number;
}): string {
  const { postgres, certificates: tls, ports } = options;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const server = {
    certFile: tls.serverCert,
    keyFile: tls.serverKey,
    requireClientAuth: true,
    clientCaFiles: [tls.ca],
  };
  const client = { serverName: tls.serverName, rootCaFiles: [tls.ca] };
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.historyShards,
      datastores: {
        'postgres-default': store('temporal', 20),
        'postgres-visibility': store('temporal_visibility', 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        internode: { server, client },
        frontend: { server, client },
        systemWorker: { certFile: tls.serverCert, keyFile: tls.serverKey, client },
      },
    },
    services: Object.fromEntries(
      Object.entries(ports).map(([name, port]) => [name, { rpc: { ...port, bindOnLocalHost: true } }]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `localhost:${ports.frontend.grpcPort}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  });
}

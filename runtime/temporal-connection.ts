// How every toolgate process reaches Temporal: the YAML `temporal` section, with Temporal's own environment
// configuration on top (a TOML profile from TEMPORAL_CONFIG_FILE or the default file, then TEMPORAL_*
// variables: address, namespace, TLS with server CA and client certificate, API key), as the Temporal CLI
// and SDKs read it. Problems come back as sentences that name the setting to fix.
import { readFileSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { ToolgateConfig } from './config.ts';

export class TemporalConnectionError extends Error {
  override readonly name = 'TemporalConnectionError';
}

/** The YAML's settings as an envconfig profile, so both merge the same way. */
function yamlProfile(temporal: ToolgateConfig['temporal']): ClientConfigProfile {
  const tls = temporal.tls;
  return {
    address: temporal.address,
    namespace: temporal.namespace,
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
    ...(tls
      ? {
          tls: {
            disabled: tls.enabled === false,
            ...(tls.serverName ? { serverName: tls.serverName } : {}),
            ...(tls.serverCA ? { serverCACert: { path: tls.serverCA } } : {}),
            ...(tls.clientCert ? { clientCert: { path: tls.clientCert } } : {}),
            ...(tls.clientKey ? { clientKey: { path: tls.clientKey } } : {}),
          },
        }
      : {}),
  };
}

/** The profile toolgate connects with: envconfig's (file, then environment) over the YAML's. */
export function temporalProfile(
  temporal: ToolgateConfig['temporal'],
  env: NodeJS.ProcessEnv = process.env,
): ClientConfigProfile {
  const base = yamlProfile(temporal);
  let fromEnvironment: ClientConfigProfile;
  try {
    fromEnvironment = loadClientConfigProfile({
      ...(temporal.profile ? { profile: temporal.profile } : {}),
      ...(temporal.configFile ? { configSource: { path: temporal.configFile } } : {}),
      overrideEnvVars: Object.fromEntries(
        Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
    });
  } catch (error) {
    throw new TemporalConnectionError(
      `Temporal environment configuration (TOML profile or TEMPORAL_* variables) is invalid: ${(error as Error).message}`,
    );
  }
  const tls = fromEnvironment.tls || base.tls ? { ...base.tls, ...fromEnvironment.tls } : undefined;
  return {
    ...base,
    ...Object.fromEntries(Object.entries(fromEnvironment).filter(([, value]) => value !== undefined)),
    ...(tls ? { tls } : {}),
  };
}

/** The files a TLS profile names must be readable before we try: a clear error beats a handshake failure. */
function checkFiles(profile: ClientConfigProfile): void {
  const files: Array<[string, { path: string } | { data: unknown } | undefined]> = [
    ['server CA certificate (temporal.tls.serverCA, TEMPORAL_TLS_SERVER_CA_CERT_PATH)', profile.tls?.serverCACert],
    ['client certificate (temporal.tls.clientCert, TEMPORAL_TLS_CLIENT_CERT_PATH)', profile.tls?.clientCert],
    ['client key (temporal.tls.clientKey, TEMPORAL_TLS_CLIENT_KEY_PATH)', profile.tls?.clientKey],
  ];
  for (const [what, source] of files) {
    if (!source || !('path' in source)) continue;
    try {
      readFileSync(source.path);
    } catch (error) {
      throw new TemporalConnectionError(
        `Cannot read the ${what} at ${source.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  if (Boolean(profile.tls?.clientCert) !== Boolean(profile.tls?.clientKey)) {
    throw new TemporalConnectionError(
      'mTLS needs both a client certificate and its key (temporal.tls.clientCert and temporal.tls.clientKey)',
    );
  }
}

export interface TemporalTarget {
  address: string;
  namespace: string;
  connectionOptions: NativeConnectionOptions;
}

export function temporalTarget(
  temporal: ToolgateConfig['temporal'],
  env: NodeJS.ProcessEnv = process.env,
): TemporalTarget {
  const profile = temporalProfile(temporal, env);
  checkFiles(profile);
  const { connectionOptions, namespace } = toClientOptions(profile);
  return {
    address: profile.address ?? temporal.address,
    namespace: namespace ?? temporal.namespace,
    connectionOptions,
  };
}

/** Says what went wrong in terms of settings: a refused handshake, a wrong API key, nobody listening. */
function explain(error: unknown, target: TemporalTarget): TemporalConnectionError {
  const message = error instanceof Error ? error.message : String(error);
  const tls = target.connectionOptions.tls ? 'TLS' : 'plain TCP';
  if (
    /certificate|handshake|tls|ssl|UnknownIssuer|InvalidCertificate|InvalidMessage|InvalidContentType|AlertReceived/i.test(
      message,
    )
  ) {
    return new TemporalConnectionError(
      `TLS handshake with Temporal at ${target.address} failed: ${message} (check temporal.tls or TEMPORAL_TLS_*)`,
    );
  }
  if (/unauthenticated|permission|api key|401|403/i.test(message)) {
    return new TemporalConnectionError(
      `Temporal at ${target.address} refused the credentials: ${message} (check temporal.apiKey or TEMPORAL_API_KEY)`,
    );
  }
  return new TemporalConnectionError(`Cannot connect to Temporal at ${target.address} over ${tls}: ${message}`);
}

export async function connectToTemporal(
  temporal: ToolgateConfig['temporal'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ connection: NativeConnection; target: TemporalTarget }> {
  const target = temporalTarget(temporal, env);
  try {
    return { connection: await NativeConnection.connect(target.connectionOptions), target };
  } catch (error) {
    throw explain(error, target);
  }
}

/** The effective config (namespace as the environment says) and an open connection to Temporal. */
export async function connectWithConfig(
  config: ToolgateConfig,
): Promise<{ config: ToolgateConfig; connection: NativeConnection; target: TemporalTarget }> {
  const { connection, target } = await connectToTemporal(config.temporal);
  return {
    config: { ...config, temporal: { ...config.temporal, address: target.address, namespace: target.namespace } },
    connection,
    target,
  };
}

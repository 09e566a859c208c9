import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../runtime/config.ts';
import { connectToTemporal, temporalProfile, temporalTarget } from '../../runtime/temporal-connection.ts';

const base = { llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' }, approvals: { approvers: ['a'] } };
const temporalOf = (temporal: Record<string, unknown>) => parseConfig({ ...base, temporal }, 'test').temporal;

describe('connection settings, the Temporal way', () => {
  it('takes the YAML, with the TOML profile and TEMPORAL_* variables on top', () => {
    const folder = mkdtempSync(join(tmpdir(), 'toolgate-envconfig-'));
    const toml = join(folder, 'temporal.toml');
    writeFileSync(toml, '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\napi_key = "from-toml"\n');
    const temporal = temporalOf({ address: 'yaml:7233', namespace: 'yaml', configFile: toml });
    expect(temporalProfile(temporal, {})).toMatchObject({ address: 'yaml:7233', namespace: 'yaml' });
    expect(temporalProfile({ ...temporal, profile: 'prod' }, {})).toMatchObject({
      address: 'prod.example:7233',
      namespace: 'prod',
      apiKey: 'from-toml',
    });
    expect(temporalProfile(temporal, { TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'env' })).toMatchObject({
      address: 'prod.example:7233',
      namespace: 'env',
    });
    expect(temporalProfile(temporal, { TEMPORAL_ADDRESS: 'env:7233' }).address).toBe('env:7233');
  });

  it('names the missing certificate file and the setting that points at it', () => {
    const temporal = temporalOf({
      tls: { serverCA: '/nowhere/ca.pem', clientCert: '/nowhere/client.pem', clientKey: '/nowhere/client.key' },
    });
    expect(() => temporalTarget(temporal, {})).toThrow(
      /Cannot read the server CA certificate \(temporal\.tls\.serverCA, TEMPORAL_TLS_SERVER_CA_CERT_PATH\) at \/nowhere\/ca\.pem: ENOENT/,
    );
    expect(() => temporalTarget(temporalOf({ tls: { clientCert: __filename } }), {})).toThrow(
      /needs both a client certificate and its key/,
    );
  });

  it('explains a refused TLS handshake', async () => {
    const temporal = temporalOf({ address: inject('temporalAddress'), tls: { enabled: true } });
    await expect(connectToTemporal(temporal, {})).rejects.toThrow(
      /^TLS handshake with Temporal at 127.0.0.1:\d+ failed: .*InvalidContentType.* \(check temporal.tls or TEMPORAL_TLS_\*\)$/,
    );
  });
});

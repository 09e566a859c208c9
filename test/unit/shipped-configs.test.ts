import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.ts';

describe('shipped configuration files', () => {
  it('config/toolgate.yaml loads with only the generated token set', () => {
    const config = loadConfig('config/toolgate.yaml', { TOOLGATE_TOKEN: 'x'.repeat(32) });
    expect(config.llm.model).toBe('toolgate-demo');
    expect(config.servers.map((server) => server.name)).toEqual(['files', 'everything']);
    expect(config.signing).toEqual({
      privateKey: { id: 'local', file: '.data/signing-key' },
      publicKeys: [{ id: 'local', file: '.data/signing-key.pub' }],
    });
  });

  it('config/example.yaml loads when its secrets are set', () => {
    const env = Object.fromEntries(
      [
        'OPENAI_API_KEY',
        'TOOLGATE_TOKEN_ALICE',
        'TOOLGATE_TOKEN_BOB',
        'TOOLGATE_TOKEN_CHATBOT',
        'TOOLGATE_TOKEN_PROMETHEUS',
        'K8S_MCP_TOKEN',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'TOOLGATE_CODEC_KEY',
      ].map((name) => [name, `${name}-0123456789abcdef`]),
    );
    const config = loadConfig('config/example.yaml', env);
    expect(config.api).toMatchObject({ publicMetrics: false, roles: { admin: ['alice'], metrics: ['prometheus'] } });
    expect(config.servers[0]).toMatchObject({
      name: 'k8s',
      headers: { 'X-Service-Token': 'K8S_MCP_TOKEN-0123456789abcdef' },
      userCredential: { fromHeader: 'X-Kube-Token', header: 'Authorization', ttl: 3_600_000 },
    });
    expect(config.temporal.tls).toMatchObject({ enabled: true, clientKey: '/etc/toolgate/tls/client.key' });
    expect(config.codec?.keys.map((key) => key.id)).toEqual(['k2', 'k1']);
    expect(config.worker.cachedRounds).toBe(200);
    expect(config.signing?.publicKeys?.map((key) => key.id)).toEqual(['s2', 's1']);
    expect(config.slack).toMatchObject({
      botToken: 'SLACK_BOT_TOKEN-0123456789abcdef',
      socketMode: false,
      channels: { 'k8s/delete_pod': 'C0123ONCALL' },
    });
    expect(() => loadConfig('config/example.yaml', {})).toThrow(/environment variable OPENAI_API_KEY is not set/);
  });
});

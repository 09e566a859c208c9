import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveToolPolicy } from '../../activities/tool-policy.ts';
import { ConfigError, loadConfig, metricsArePublic, parseConfig } from '../../runtime/config.ts';

const minimal = { llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' }, approvals: { approvers: ['alice'] } };

describe('configuration', () => {
  it('fills defaults', () => {
    const config = parseConfig(minimal, 'test');
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'toolgate',
      deployment: { enabled: true, name: 'toolgate', behavior: 'pinned', promote: true },
    });
    expect(config.round).toEqual({
      maxSteps: 5,
      maxToolCallsPerReply: 8,
      toolOutputChars: 16_000,
      transcriptChars: 200_000,
    });
    expect(config.limits.requests.start).toEqual({ perMinute: 30, burst: 10 });
    expect(config.limits.tokens).toEqual({ period: 'day', perPrincipal: 1_000_000, principals: {} });
    expect(config.approvals.timeout).toBe(600_000);
  });

  it('names the bad field', () => {
    const bad = { ...minimal, servers: [{ name: 'k8s', transport: 'http', url: 'not a url' }] };
    expect(() => parseConfig(bad, 'toolgate.yaml')).toThrow(
      /Invalid configuration in toolgate.yaml:\n\s+servers\[0\]\.url: /,
    );
    expect(() => parseConfig({ ...minimal, approvals: { approvers: ['a'], timeout: 'soon' } }, 'f')).toThrow(
      /approvals\.timeout: expected a duration/,
    );
    expect(() => parseConfig({ ...minimal, surprise: 1 }, 'f')).toThrow(/surprise/);
    expect(() => parseConfig({ llm: minimal.llm }, 'f')).toThrow(/approvals/);
  });

  it('refuses duplicate server names', () => {
    const server = { name: 'a', transport: 'stdio', command: 'x' };
    expect(() => parseConfig({ ...minimal, servers: [server, server] }, 'f')).toThrow(
      /servers\[1\]\.name: duplicate server name 'a'/,
    );
  });

  it('keeps /metrics public only on loopback unless configured', () => {
    const api = (settings: Record<string, unknown>) => parseConfig({ ...minimal, api: settings }, 'f').api;
    expect(metricsArePublic(api({}))).toBe(true);
    expect(metricsArePublic(api({ host: '::1' }))).toBe(true);
    expect(metricsArePublic(api({ host: '0.0.0.0' }))).toBe(false);
    expect(metricsArePublic(api({ host: '10.1.2.3' }))).toBe(false);
    expect(metricsArePublic(api({ host: '0.0.0.0', publicMetrics: true }))).toBe(true);
    expect(metricsArePublic(api({ host: '127.0.0.1', publicMetrics: false }))).toBe(false);
  });

  it('refuses a token listed twice, without printing it', () => {
    const token = 'shared-token-0123456789';
    const tokens = [
      { principal: 'alice', token },
      { principal: 'bob', token },
    ];
    const parse = () => parseConfig({ ...minimal, api: { tokens } }, 'f');
    expect(parse).toThrow(/api\.tokens\[1\]\.token: this token is listed twice/);
    expect(parse).not.toThrow(new RegExp(token));
  });

  it('refuses "*" approvers for a server that takes a user credential, naming the server or tool', () => {
    const server = {
      name: 'k8s',
      transport: 'http',
      url: 'http://127.0.0.1:1/mcp',
      userCredential: { fromHeader: 'X-Kube-Token' },
    };
    const sealed = { ...minimal, codec: { keys: [{ id: 'k', secret: 'c2VjcmV0' }] } };
    const load = (approvers: string[], settings: Record<string, unknown>) =>
      parseConfig({ ...sealed, approvals: { approvers }, servers: [{ ...server, ...settings }] }, 'toolgate.yaml');
    expect(() => load(['alice'], { approvers: ['*'] })).toThrow(
      /servers\[0\]\.approvers: server 'k8s' takes a user credential \(userCredential\): approvers must be named principals, not "\*"/,
    );
    expect(() => load(['*'], {})).toThrow(
      /approvals\.approvers: server 'k8s' takes a user credential .* \(inherited from approvals\.approvers\)/,
    );
    expect(() => load(['alice'], { tools: { delete_pod: { approvers: ['bob', '*'] } } })).toThrow(
      /servers\[0\]\.tools\.delete_pod\.approvers: tool 'delete_pod' of server 'k8s' takes a user credential/,
    );
    // Named approvers load; so does "*" where no user credential is forwarded.
    expect(() => load(['*'], { approvers: ['alice'] })).not.toThrow();
    expect(() => load(['*'], { userCredential: undefined })).not.toThrow();
  });

  it('resolves ${ENV} references and refuses missing ones', () => {
    const withHeader = {
      ...minimal,
      servers: [{ name: 'a', transport: 'http', url: 'http://x/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } }],
    };
    const config = parseConfig(withHeader, 'f', { TOKEN: 's3cret' });
    expect(config.servers[0]).toMatchObject({ headers: { Authorization: 'Bearer s3cret' } });
    expect(() => parseConfig(withHeader, 'f', {})).toThrow(
      /servers\[0\]\.headers\.Authorization: environment variable TOKEN is not set/,
    );
    const withDefault = {
      ...minimal,
      llm: { baseURL: '${LLM_URL:-http://127.0.0.1:8300/v1}', model: '${LLM_MODEL:-demo}' },
    };
    expect(parseConfig(withDefault, 'f', {}).llm).toMatchObject({ baseURL: 'http://127.0.0.1:8300/v1', model: 'demo' });
    expect(parseConfig(withDefault, 'f', { LLM_MODEL: 'gpt-x' }).llm.model).toBe('gpt-x');
  });

  it('reports unreadable files and invalid YAML clearly', () => {
    const folder = mkdtempSync(join(tmpdir(), 'toolgate-config-'));
    expect(() => loadConfig(join(folder, 'missing.yaml'))).toThrow(ConfigError);
    writeFileSync(join(folder, 'bad.yaml'), 'llm: [unclosed');
    expect(() => loadConfig(join(folder, 'bad.yaml'))).toThrow(/not valid YAML/);
  });

  it('resolves a tool policy from tool, server and global settings', () => {
    const config = parseConfig(
      {
        ...minimal,
        approvals: { approvers: ['alice'], timeout: '10m', allowSelfApproval: true },
        servers: [
          {
            name: 'k8s',
            transport: 'http',
            url: 'http://x/mcp',
            approvers: ['ops'],
            rules: [{ argument: 'namespace', matches: 'prod-*' }],
            tools: {
              delete_pod: {
                approval: 'always',
                approvalTimeout: '1h',
                rules: [{ argument: 'name', matches: 'db-*' }],
                idempotent: false,
              },
            },
          },
        ],
      },
      'f',
    );
    const server = config.servers[0]!;
    expect(resolveToolPolicy(config, server, 'delete_pod')).toMatchObject({
      approval: 'always',
      approvalTimeoutMs: 3_600_000,
      approvers: ['ops'],
      allowSelfApproval: true,
      argumentRules: [
        { argument: 'namespace', matches: 'prod-*' },
        { argument: 'name', matches: 'db-*' },
      ],
      idempotent: false,
      callTimeoutMs: 30_000,
    });
    expect(resolveToolPolicy(config, server, 'constructor')).toMatchObject({
      approval: 'annotations',
      approvalTimeoutMs: 600_000,
    });
  });
});

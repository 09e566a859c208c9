// The pure parts of remembered grants: what a grant covers, when a decision may remember, grant ids, and the
// decision's `remember` in its signature (present only when given, so older decisions sign as before).
import { describe, expect, it } from 'vitest';
import { grantCovers, patternMatches } from '../../workflows/shared/grant-match.ts';
import { rememberProblems, rememberRefusal } from '../../workflows/grants/remember-terms.ts';
import { decisionSigningText } from '../../workflows/shared/signatures.ts';
import { grantIdFor, requesterOfGrant } from '../../runtime/grant-ids.ts';
import { durationText } from '../../workflows/shared/duration-text.ts';
import { resolveToolPolicy } from '../../activities/tool-policy.ts';
import { toolFingerprint } from '../../activities/tool-fingerprint.ts';
import { parseConfig, rememberTtl } from '../../runtime/config.ts';
import { FailureType, type Grant, type GrantLookup, type PendingApproval } from '../../workflows/contract.ts';

const grant: Grant = {
  grantId: 'grant-Y2Fyb2w-0123456789abcdef',
  requester: 'carol',
  server: 'k8s',
  tool: 'delete_pod',
  pattern: { namespace: 'dev-*' },
  createdBy: { id: 'alice', channel: 'http' },
  fromApproval: 'round-1.1.0',
  roundId: 'round-1',
  createdAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-01-01T08:00:00.000Z',
  toolFingerprint: 'f'.repeat(64),
  proof: { approvalId: 'round-1.1.0', decision: 'approve', approver: { id: 'alice', channel: 'http' } },
};
const call: GrantLookup = {
  approvalId: 'round-2.1.0',
  requester: 'carol',
  server: 'k8s',
  tool: 'delete_pod',
  arguments: { namespace: 'dev-eu', name: 'web' },
  argsDigest: 'a'.repeat(64),
  toolFingerprint: 'f'.repeat(64),
};
const during = Date.parse('2030-01-01T01:00:00.000Z');

describe('grant matching', () => {
  it('covers a call of the same requester, server, tool and fingerprint whose arguments match, before it expires', () => {
    expect(grantCovers(grant, call, during)).toBe(true);
    expect(grantCovers(grant, { ...call, requester: 'mallory' }, during)).toBe(false);
    expect(grantCovers(grant, { ...call, tool: 'scale_deployment' }, during)).toBe(false);
    expect(grantCovers(grant, { ...call, toolFingerprint: 'e'.repeat(64) }, during)).toBe(false);
    expect(grantCovers(grant, call, Date.parse(grant.expiresAt))).toBe(false);
    expect(grantCovers(grant, { ...call, arguments: { namespace: 'prod-eu' } }, during)).toBe(false);
  });

  it('without a pattern covers exactly the digest approved', () => {
    const exact: Grant = { ...grant, pattern: undefined, argsDigest: call.argsDigest };
    expect(grantCovers(exact, call, during)).toBe(true);
    expect(grantCovers(exact, { ...call, argsDigest: 'b'.repeat(64) }, during)).toBe(false);
  });

  it('needs every value at every path to match: arrays all of them, a missing path or an object none', () => {
    expect(patternMatches({ namespace: 'dev-*' }, { namespace: ['dev-a', 'dev-b'] })).toBe(true);
    expect(patternMatches({ namespace: 'dev-*' }, { namespace: ['dev-a', 'prod-b'] })).toBe(false);
    expect(patternMatches({ namespace: 'dev-*' }, {})).toBe(false);
    expect(patternMatches({ namespace: 'dev-*' }, { namespace: { nested: 'dev-a' } })).toBe(false);
    expect(patternMatches({ 'meta.ns': 'dev-?' }, { META: { NS: 'dev-1' } })).toBe(true);
    expect(patternMatches({ namespace: 'dev-*', name: 'web' }, { namespace: 'dev-1', name: 'api' })).toBe(false);
  });
});

const names = { requester: 'carol', server: 'k8s', tool: 'delete_pod' };

describe('when a decision may remember', () => {
  const pending = {
    approvalId: 'round-1.1.0',
    server: 'k8s',
    tool: 'delete_pod',
    arguments: { namespace: 'dev-eu' },
    requester: 'carol',
    rememberable: true,
  } as unknown as PendingApproval;
  const request = (remember: object) =>
    ({ approvalId: 'round-1.1.0', decision: 'approve', approver: { id: 'alice', channel: 'http' }, remember }) as never;

  it('only with approve, a positive ttl and a pattern of paths to globs', () => {
    expect(rememberProblems({ ttlMs: 1000, ...names }, 'approve')).toEqual([]);
    expect(rememberProblems({ ttlMs: 1000, ...names }, 'reject')).toEqual(['remember goes only with decision approve']);
    expect(rememberProblems({ ttlMs: 0, ...names }, 'approve')).toHaveLength(1);
    expect(rememberProblems({ ttlMs: 1000, ...names, pattern: {} }, 'approve')).toHaveLength(1);
    expect(rememberProblems({ ttlMs: 1000, ...names, pattern: { a: 1 } }, 'approve')).toHaveLength(1);
    expect(rememberProblems({ ttlMs: 1000, ...names, extra: true }, 'approve')).toHaveLength(1);
  });

  it('not on a tool without grants, not for a quorum, not with a pattern that misses the call', () => {
    expect(
      rememberRefusal(pending, request({ ttlMs: 1000, ...names, pattern: { namespace: 'dev-*' } })),
    ).toBeUndefined();
    expect(rememberRefusal({ ...pending, rememberable: undefined }, request({ ttlMs: 1000, ...names }))?.type).toBe(
      FailureType.GrantNotAllowed,
    );
    expect(rememberRefusal({ ...pending, quorum: {} } as never, request({ ttlMs: 1000, ...names }))?.type).toBe(
      FailureType.GrantNotAllowed,
    );
    expect(rememberRefusal(pending, request({ ttlMs: 1000, ...names, pattern: { namespace: 'prod-*' } }))?.type).toBe(
      FailureType.InvalidDecision,
    );
  });

  it('signs remember only when present: a decision without it signs exactly as before', () => {
    const base = { approvalId: 'a.1.0', decision: 'approve', approver: { id: 'alice', channel: 'http' } } as const;
    expect(decisionSigningText(base)).not.toContain('remember');
    expect(decisionSigningText({ ...base, remember: { ttlMs: 1000, ...names } })).toContain(
      '"remember":{"requester":"carol"',
    );
  });
});

describe('grant ids', () => {
  it('name their requester and derive from the approval they remember', () => {
    const id = grantIdFor('carol@example.com', 'round-1.1.0');
    expect(id).toBe(grantIdFor('carol@example.com', 'round-1.1.0'));
    expect(id).not.toBe(grantIdFor('carol@example.com', 'round-1.1.1'));
    expect(requesterOfGrant(id)).toBe('carol@example.com');
    expect(requesterOfGrant('grant-x')).toBeUndefined();
    expect(requesterOfGrant('not-a-grant')).toBeUndefined();
  });

  it('write a TTL as the config does', () => {
    expect([8 * 3_600_000, 86_400_000, 90_000, 1500].map(durationText)).toEqual(['8h', '1d', '90s', '1500ms']);
  });
});

describe('grant settings', () => {
  const load = (approvals: Record<string, unknown>, server: Record<string, unknown>) =>
    parseConfig(
      {
        llm: { baseURL: 'http://127.0.0.1:1/v1', model: 'm' },
        approvals: { approvers: ['alice'], ...approvals },
        servers: [{ name: 'k8s', transport: 'http', url: 'http://127.0.0.1:1/mcp', ...server }],
      },
      'f',
    );

  it('defaults to 24h at most, 8h from Slack, 50 per requester; the Slack TTL never exceeds maxTtl', () => {
    const config = load({}, {});
    expect(config.approvals.grants).toEqual({ maxTtl: 86_400_000, defaultTtl: 28_800_000, perRequester: 50 });
    expect(rememberTtl(load({ grants: { maxTtl: '1h' } }, {}))).toBe(3_600_000);
  });

  it('resolves grants: false from the server, a tool entry overriding it; absent otherwise', () => {
    const config = load({}, { grants: false, tools: { get_logs: { grants: true } } });
    const server = config.servers[0]!;
    expect(resolveToolPolicy(config, server, 'delete_pod').grants).toBe(false);
    expect(resolveToolPolicy(config, server, 'get_logs')).not.toHaveProperty('grants');
    expect(resolveToolPolicy(load({}, {}), load({}, {}).servers[0]!, 'delete_pod')).not.toHaveProperty('grants');
  });

  it('fingerprints a tool by schema, annotations, policy and server settings, not by secret values', () => {
    const config = load({}, { headers: { authorization: 'Bearer one' } });
    const server = config.servers[0]!;
    const tool = { inputSchema: { type: 'object' }, annotations: {} };
    const policy = resolveToolPolicy(config, server, 'delete_pod');
    const print = toolFingerprint(server, tool, policy);
    const rotated = load({}, { headers: { authorization: 'Bearer two' } }).servers[0]!;
    expect(toolFingerprint(rotated, tool, policy)).toBe(print);
    expect(toolFingerprint(server, { ...tool, annotations: { destructiveHint: true } }, policy)).not.toBe(print);
    expect(toolFingerprint(server, tool, { ...policy, approvalTimeoutMs: 1 })).not.toBe(print);
    const moved = load({}, { url: 'http://127.0.0.1:2/mcp' }).servers[0]!;
    expect(toolFingerprint(moved, tool, policy)).not.toBe(print);
  });
});

import { describe, expect, it } from 'vitest';
import type { ArgumentRule, ToolDescriptor, ToolPolicy } from '../../workflows/contract.ts';
import { mayDecide } from '../../workflows/shared/decide-rights.ts';
import { hasNonAsciiKey, hasUndeclaredKey } from '../../workflows/argument-keys.ts';
import { evaluateRule, foldKey } from '../../workflows/argument-rules.ts';
import { isRetrySafe, requiresApproval } from '../../workflows/policy.ts';

const policy: ToolPolicy = {
  approval: 'annotations',
  trusted: true,
  argumentRules: [],
  approvalTimeoutMs: 600_000,
  approvers: ['alice'],
  allowSelfApproval: false,
  callTimeoutMs: 30_000,
  retry: { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 10_000 },
};

/** Declares the keys the tests below send, so only the tests about undeclared keys trip that check. */
const inputSchema = {
  type: 'object',
  properties: Object.fromEntries(['namespace', 'target', 'targets', 'name', 'url'].map((key) => [key, {}])),
};

function tool(annotations: ToolDescriptor['annotations'], overrides: Partial<ToolPolicy> = {}): ToolDescriptor {
  return { server: 's', name: 't', inputSchema, annotations, policy: { ...policy, ...overrides } };
}

const closedWorld = { readOnlyHint: true, openWorldHint: false };

describe('requiresApproval', () => {
  it('follows the mode', () => {
    expect(requiresApproval(tool(closedWorld, { approval: 'always' }), {})).toBe(true);
    expect(requiresApproval(tool({}, { approval: 'never' }), {})).toBe(false);
  });

  it('waives approval for read-only tools of trusted servers only', () => {
    expect(requiresApproval(tool(closedWorld), {})).toBe(false);
    expect(requiresApproval(tool(closedWorld, { trusted: false }), {})).toBe(true);
    expect(requiresApproval(tool({}), {})).toBe(true);
    expect(requiresApproval(tool({ readOnlyHint: false, destructiveHint: false }), {})).toBe(true);
  });

  it('gates by argument glob even when the mode says never', () => {
    const gated = tool({}, { approval: 'never', argumentRules: [{ argument: 'namespace', matches: 'prod-*' }] });
    expect(requiresApproval(gated, { namespace: 'prod-eu' })).toBe(true);
    expect(requiresApproval(gated, { namespace: 'production' })).toBe(false);
    expect(requiresApproval(gated, { namespace: 'dev' })).toBe(false);
    expect(requiresApproval(gated, {})).toBe(false);
  });

  it('fails closed: nested values, arrays, any key case, and shapes a rule cannot read all count', () => {
    const rule = (argument: string, extra: Record<string, unknown> = {}) =>
      tool({}, { approval: 'never', argumentRules: [{ argument, matches: 'prod-*', ...extra }] });
    expect(requiresApproval(rule('namespace'), { namespace: ['dev', 'prod-eu'] })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: ['dev', 'test'] })).toBe(false);
    expect(evaluateRule({ argument: 'namespace', matches: 'prod-*' }, { Namespace: 'prod-eu' })).toBe('match');
    expect(requiresApproval(rule('namespace'), { namespace: { nested: 'prod-x' } })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: [{ name: 'dev' }] })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: null })).toBe(false);
    expect(requiresApproval(rule('target.namespace'), { target: { namespace: 'prod-eu' } })).toBe(true);
    expect(requiresApproval(rule('target.namespace'), { target: { namespace: 'dev' } })).toBe(false);
    expect(
      requiresApproval(rule('targets.namespace'), { targets: [{ namespace: 'dev' }, { NAMESPACE: 'prod-1' }] }),
    ).toBe(true);
    expect(requiresApproval(rule('target.namespace'), { target: 'prod-eu/x' })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: 'PROD-eu' })).toBe(false);
    expect(requiresApproval(rule('namespace', { ignoreCase: true }), { namespace: 'PROD-eu' })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: Array.from({ length: 2000 }, () => 'dev') })).toBe(true);
    expect(requiresApproval(rule('namespace'), { namespace: 'prod-\nline' })).toBe(true);
  });

  it('treats glob metacharacters other than * and ? literally', () => {
    const gated = tool({}, { approval: 'never', argumentRules: [{ argument: 'name', matches: 'a.b?' }] });
    expect(requiresApproval(gated, { name: 'a.bc' })).toBe(true);
    expect(requiresApproval(gated, { name: 'axbc' })).toBe(false);
  });

  it('does not read rules from the prototype of the arguments', () => {
    const gated = tool({}, { approval: 'never', argumentRules: [{ argument: 'toString', matches: '*' }] });
    expect(requiresApproval(gated, {})).toBe(false);
  });
});

describe('closed policy (CLOSED_POLICY_PATCH)', () => {
  const prod: ArgumentRule = { argument: 'namespace', matches: 'prod-*' };
  const never = (rules: ArgumentRule[] = [prod]) => tool({}, { approval: 'never', argumentRules: rules });

  it('folds keys as a lenient decoder does: NFKC and full case folding', () => {
    expect(foldKey('nameſpace')).toBe('namespace');
    expect(foldKey('NAMESPACE')).toBe('namespace');
    expect(foldKey('\u212Aind')).toBe('kind');
    expect(foldKey('ｎａｍｅｓｐａｃｅ')).toBe('namespace');
    expect(foldKey('straße')).toBe(foldKey('STRASSE'));
    expect(foldKey('STRAẞE')).toBe(foldKey('strasse'));
  });

  it('compares rule paths and argument keys folded on both sides', () => {
    expect(evaluateRule(prod, { nameſpace: 'prod-eu' })).toBe('match');
    expect(evaluateRule({ argument: 'kind', matches: 'Secret' }, { '\u212Aind': 'Secret' })).toBe('match');
    expect(evaluateRule({ argument: 'NAMEſPACE', matches: 'prod-*' }, { namespace: 'prod-eu' })).toBe('match');
    expect(
      evaluateRule({ argument: 'target.namespace', matches: 'prod-*' }, { ｔａｒｇｅｔ: { nameſpace: 'prod-eu' } }),
    ).toBe('match');
    expect(evaluateRule(prod, { nameſpace: 'dev' })).toBe('no_match');
  });

  it('needs approval for a non-ASCII key at any depth, even under approval: never', () => {
    expect(hasNonAsciiKey({ target: [{ nämespace: 'dev' }] })).toBe(true);
    expect(hasNonAsciiKey({ target: [{ namespace: 'dév' }] })).toBe(false);
    expect(requiresApproval(never([]), { target: { list: [{ ['n\u0430me']: 'x' }] } })).toBe(true);
    expect(requiresApproval(never([]), { target: { list: [{ name: 'ü' }] } })).toBe(false);
    const deep = JSON.parse(`${'['.repeat(100_000)}{"ß":1}${']'.repeat(100_000)}`) as unknown;
    expect(hasNonAsciiKey(deep)).toBe(true);
  });

  it('needs approval for a top-level key the schema does not declare; a schema without properties declares none', () => {
    expect(requiresApproval(never(), { namespace: 'dev', force: true })).toBe(true);
    expect(requiresApproval(never(), { namespace: 'dev', Namespace: 'dev' })).toBe(true);
    expect(requiresApproval(never(), { namespace: 'dev', target: { anything: 1 } })).toBe(false);
    expect(hasUndeclaredKey({ a: 1 }, { type: 'object' })).toBe(true);
    expect(hasUndeclaredKey({}, { type: 'object' })).toBe(false);
    expect(hasUndeclaredKey({ toString: 1 }, { type: 'object', properties: {} })).toBe(true);
  });

  it('needs approval when a whenAbsent rule finds no value: missing, null or an empty list, at any fan-out', () => {
    const absent: ArgumentRule = { ...prod, whenAbsent: 'approve' };
    expect(requiresApproval(never([absent]), {})).toBe(true);
    expect(requiresApproval(never([absent]), { namespace: null })).toBe(true);
    expect(requiresApproval(never([absent]), { namespace: [] })).toBe(true);
    expect(requiresApproval(never([absent]), { namespace: 'dev' })).toBe(false);
    expect(requiresApproval(never([absent]), { namespace: 'prod-eu' })).toBe(true);
    const nested = { ...absent, argument: 'targets.namespace' };
    expect(requiresApproval(never([nested]), { targets: [{ namespace: 'dev' }, {}] })).toBe(true);
    expect(requiresApproval(never([nested]), { targets: [{ namespace: 'dev' }] })).toBe(false);
    expect(requiresApproval(never([prod]), {})).toBe(false);
  });

  it('lets readOnlyHint waive approval only for a closed-world tool, or when the server trusts the open world', () => {
    expect(requiresApproval(tool({ readOnlyHint: true }), { url: 'x' })).toBe(true);
    expect(requiresApproval(tool({ readOnlyHint: true, openWorldHint: true }), {})).toBe(true);
    expect(requiresApproval(tool({ readOnlyHint: true }, { openWorld: 'approve' }), {})).toBe(true);
    expect(requiresApproval(tool(closedWorld), {})).toBe(false);
    expect(requiresApproval(tool({ readOnlyHint: true }, { openWorld: 'trust' }), {})).toBe(false);
    expect(requiresApproval(tool({ openWorldHint: false }, { openWorld: 'trust' }), {})).toBe(true);
    expect(requiresApproval(tool(closedWorld, { trusted: false, openWorld: 'trust' }), {})).toBe(true);
  });

  it('keeps the old evaluation for rounds started before the patch (replay)', () => {
    expect(requiresApproval(never(), { nameſpace: 'prod-eu' }, false)).toBe(false);
    expect(requiresApproval(never(), { namespace: 'dev', force: true, ü: 1 }, false)).toBe(false);
    expect(requiresApproval(never([{ ...prod, whenAbsent: 'approve' }]), {}, false)).toBe(false);
    expect(requiresApproval(tool({ readOnlyHint: true }), {}, false)).toBe(false);
    expect(requiresApproval(never(), { NAMESPACE: 'prod-eu' }, false)).toBe(true);
  });
});

describe('isRetrySafe', () => {
  it('trusts hints only from trusted servers, and the operator override always', () => {
    expect(isRetrySafe(tool({ readOnlyHint: true }))).toBe(true);
    expect(isRetrySafe(tool({ idempotentHint: true }))).toBe(true);
    expect(isRetrySafe(tool({ idempotentHint: true }, { trusted: false }))).toBe(false);
    expect(isRetrySafe(tool({}))).toBe(false);
    expect(isRetrySafe(tool({}, { trusted: false, idempotent: true }))).toBe(true);
  });
});

describe('mayDecide', () => {
  const approval = { approvers: ['alice', 'bob'], requester: 'alice', allowSelfApproval: false };
  it('allows listed approvers other than the requester', () => {
    expect(mayDecide(approval, 'bob')).toEqual({ allowed: true });
    expect(mayDecide(approval, 'alice')).toMatchObject({
      allowed: false,
      why: expect.stringContaining('requested this call'),
    });
    expect(mayDecide(approval, 'eve')).toMatchObject({
      allowed: false,
      why: expect.stringContaining('not an approver'),
    });
    expect(mayDecide({ ...approval, allowSelfApproval: true }, 'alice')).toEqual({ allowed: true });
    expect(mayDecide({ ...approval, approvers: ['*'] }, 'eve')).toEqual({ allowed: true });
  });
});

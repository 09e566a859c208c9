import { describe, expect, it } from 'vitest';
import type { ToolDescriptor, ToolPolicy } from '../../workflows/contract.ts';
import { mayDecide } from '../../workflows/shared/decide-rights.ts';
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

function tool(annotations: ToolDescriptor['annotations'], overrides: Partial<ToolPolicy> = {}): ToolDescriptor {
  return { server: 's', name: 't', inputSchema: { type: 'object' }, annotations, policy: { ...policy, ...overrides } };
}

describe('requiresApproval', () => {
  it('follows the mode', () => {
    expect(requiresApproval(tool({ readOnlyHint: true }, { approval: 'always' }), {})).toBe(true);
    expect(requiresApproval(tool({}, { approval: 'never' }), {})).toBe(false);
  });

  it('waives approval for read-only tools of trusted servers only', () => {
    expect(requiresApproval(tool({ readOnlyHint: true }), {})).toBe(false);
    expect(requiresApproval(tool({ readOnlyHint: true }, { trusted: false }), {})).toBe(true);
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
    expect(requiresApproval(rule('namespace'), { Namespace: 'prod-eu' })).toBe(true);
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

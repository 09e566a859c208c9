// Which tools tools/list shows a caller (api/gateway-visibility.ts): only those the round's gate could ever let
// run for them. A tool stays listed wherever that is uncertain.
import { describe, expect, it } from 'vitest';
import { mayEverRun } from '../../api/gateway-visibility.ts';
import type { ToolDescriptor, ToolPolicy } from '../../workflows/contract.ts';

const base: ToolPolicy = {
  approval: 'annotations',
  trusted: true,
  argumentRules: [],
  approvalTimeoutMs: 600_000,
  approvers: ['carol'],
  allowSelfApproval: false,
  callTimeoutMs: 30_000,
  retry: { maxAttempts: 3, initialDelayMs: 500, maxDelayMs: 10_000 },
};

function tool(policy: Partial<ToolPolicy>, annotations: ToolDescriptor['annotations'] = {}): ToolDescriptor {
  return { server: 's', name: 't', inputSchema: { type: 'object' }, annotations, policy: { ...base, ...policy } };
}

const ops = (members: string[], count: number) => ({
  requirements: [{ group: 'ops', count, members }],
  rejectWith: 'first' as const,
});

describe('mayEverRun', () => {
  it('hides a gated tool only its caller could approve, unless they may approve their own calls', () => {
    expect(mayEverRun(tool({}), 'carol')).toBe(false);
    expect(mayEverRun(tool({ approval: 'always' }), 'carol')).toBe(false);
    expect(mayEverRun(tool({}), 'alice')).toBe(true);
    expect(mayEverRun(tool({ allowSelfApproval: true }), 'carol')).toBe(true);
    expect(mayEverRun(tool({ approvers: ['*'] }), 'carol')).toBe(true);
    expect(mayEverRun(tool({ approvers: ['carol', 'bob'] }), 'carol')).toBe(true);
  });

  it('keeps a tool some call of which needs no approval: argument rules only add approvals', () => {
    const rule = { argument: 'namespace', matches: 'prod-*' };
    expect(mayEverRun(tool({ approval: 'never', argumentRules: [rule] }), 'carol')).toBe(true);
    const closedReadOnly = { readOnlyHint: true, openWorldHint: false };
    expect(mayEverRun(tool({}, closedReadOnly), 'carol')).toBe(true);
    // Hints of an untrusted server, or of a read-only tool that may reach the open world, waive nothing.
    expect(mayEverRun(tool({ trusted: false }, closedReadOnly), 'carol')).toBe(false);
    expect(mayEverRun(tool({}, { readOnlyHint: true }), 'carol')).toBe(false);
    expect(mayEverRun(tool({ openWorld: 'trust' }, { readOnlyHint: true }), 'carol')).toBe(true);
  });

  it('counts a quorum without its caller, and keeps a tool whose approval may escalate', () => {
    expect(mayEverRun(tool({ approvers: ['carol', 'alice'], quorum: ops(['carol', 'alice'], 2) }), 'carol')).toBe(
      false,
    );
    expect(mayEverRun(tool({ approvers: ['carol', 'alice'], quorum: ops(['carol', 'alice'], 2) }), 'bob')).toBe(true);
    expect(mayEverRun(tool({ approvers: ['carol', 'alice'], quorum: ops(['carol', 'alice'], 1) }), 'carol')).toBe(true);
    const escalating = { remindAfterMs: [], escalate: { afterMs: 60_000, to: ['dave'] }, onTimeout: 'reject' as const };
    expect(mayEverRun(tool({ reminders: escalating }), 'carol')).toBe(true);
  });
});

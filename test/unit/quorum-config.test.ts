// Quorum settings: groups and requirements checked at load, and resolved into the tool's policy with members.
import { describe, expect, it } from 'vitest';
import { resolveToolPolicy } from '../../activities/tool-policy.ts';
import { parseConfig } from '../../runtime/config.ts';

const llm = { baseURL: 'http://127.0.0.1:1/v1', model: 'm' };
const groups = { oncall: ['alice', 'bob'], dba: ['dave'] };
const server = (extra: Record<string, unknown>) => ({
  name: 'db',
  transport: 'http',
  url: 'http://127.0.0.1:1/mcp',
  ...extra,
});
const load = (approvals: Record<string, unknown>, entry: Record<string, unknown>) =>
  parseConfig({ llm, approvals: { approvers: ['alice'], ...approvals }, servers: [server(entry)] }, 'f');

describe('quorum configuration', () => {
  it('resolves a server quorum into the policy: members, approvers and rejectWith; a tool may replace it', () => {
    const config = load(
      { groups, rejectWith: 'quorum' },
      {
        quorum: [
          { group: 'oncall', count: 2 },
          { group: 'dba', count: 1 },
        ],
        tools: {
          vacuum: { approvers: ['erin'] },
          reindex: { quorum: [{ group: 'dba', count: 1 }], rejectWith: 'first' },
        },
      },
    );
    const [db] = config.servers;
    expect(resolveToolPolicy(config, db!, 'drop_table')).toMatchObject({
      approvers: ['alice', 'bob', 'dave'],
      quorum: {
        rejectWith: 'quorum',
        requirements: [
          { group: 'oncall', count: 2, members: ['alice', 'bob'] },
          { group: 'dba', count: 1, members: ['dave'] },
        ],
      },
    });
    const vacuum = resolveToolPolicy(config, db!, 'vacuum');
    expect(vacuum.approvers).toEqual(['erin']);
    expect(vacuum.quorum).toBeUndefined();
    expect(resolveToolPolicy(config, db!, 'reindex').quorum).toEqual({
      rejectWith: 'first',
      requirements: [{ group: 'dba', count: 1, members: ['dave'] }],
    });
  });

  it('keeps a policy without quorum as it was', () => {
    const config = load({}, {});
    const policy = resolveToolPolicy(config, config.servers[0]!, 'anything');
    expect(policy.approvers).toEqual(['alice']);
    expect('quorum' in policy).toBe(false);
  });

  it('refuses an unknown group, a group too small, approvers beside a quorum and "*" in a group', () => {
    expect(() => load({ groups }, { quorum: [{ group: 'sre', count: 1 }] })).toThrow(
      /servers\[0\]\.quorum\[0\]\.group: no group 'sre' in approvals\.groups/,
    );
    expect(() => load({ groups }, { quorum: [{ group: 'dba', count: 2 }] })).toThrow(
      /group 'dba' has 1 members, fewer than the 2 required/,
    );
    expect(() =>
      load({ groups }, { tools: { x: { quorum: [{ group: 'dba', count: 1 }], approvers: ['bob'] } } }),
    ).toThrow(/servers\[0\]\.tools\.x\.approvers: a quorum names who decides/);
    expect(() => load({ groups: { all: ['*'] } }, {})).toThrow(/a group names principals, not "\*"/);
  });
});

// Reminder settings: points checked at load (inside the timeout, reminders before the escalation, the group known)
// and resolved into the tool's plan in milliseconds; a tool without any keeps no plan.
import { describe, expect, it } from 'vitest';
import { resolveToolPolicy } from '../../activities/tool-policy.ts';
import { parseConfig } from '../../runtime/config.ts';

const llm = { baseURL: 'http://127.0.0.1:1/v1', model: 'm' };
const server = (extra: Record<string, unknown>) => ({
  name: 'db',
  transport: 'http',
  url: 'http://127.0.0.1:1/mcp',
  ...extra,
});
const load = (entry: Record<string, unknown>) =>
  parseConfig(
    {
      llm,
      approvals: { approvers: ['alice'], timeout: '10m', groups: { dba: ['dave', 'frank'] } },
      servers: [server(entry)],
    },
    'f',
  );

describe('reminder configuration', () => {
  it('resolves shares and durations of the timeout into the plan, a tool overriding its server', () => {
    const config = load({
      remind: { at: ['50%', '1m'] },
      escalate: { at: '80%', to: 'dba', slackChannel: 'C_DBA' },
      tools: {
        vacuum: {
          approvalTimeout: '10s',
          remind: { at: '25%' },
          escalate: { to: ['erin'] },
          onTimeout: 'escalate-and-extend',
        },
        quiet: { onTimeout: 'reject', remind: { at: '10%' } },
      },
    });
    const [entry] = config.servers;
    expect(resolveToolPolicy(config, entry!, 'reindex').reminders).toEqual({
      remindAfterMs: [60_000, 300_000],
      escalate: { afterMs: 480_000, to: ['dave', 'frank'], group: 'dba', slackChannel: 'C_DBA' },
      onTimeout: 'reject',
    });
    expect(resolveToolPolicy(config, entry!, 'vacuum').reminders).toEqual({
      remindAfterMs: [2500],
      escalate: { to: ['erin'] },
      onTimeout: 'escalate-and-extend',
    });
    expect(resolveToolPolicy(config, load({}).servers[0]!, 'x').reminders).toBeUndefined();
    expect(resolveToolPolicy(load({ onTimeout: 'reject' }), load({}).servers[0]!, 'x').reminders).toBeUndefined();
  });

  it.each([
    [{ remind: { at: '0%' } }, /servers\[0\]\.remind.*0% is not between 0% and 100%/],
    [{ remind: { at: '100%' } }, /100% is not between/],
    [{ remind: { at: '10m' } }, /is not before the approval timeout/],
    [{ remind: { at: 'soon' } }, /servers\[0\]\.remind/],
    [{ remind: { at: '90%' }, escalate: { at: '80%', to: 'dba' } }, /every reminder must come before the escalation/],
    [{ escalate: { at: '80%', to: 'ops' } }, /no group 'ops' in approvals\.groups/],
    [{ escalate: { to: 'dba' } }, /an escalation without `at` happens only with onTimeout: escalate-and-extend/],
    [{ onTimeout: 'extend' }, /servers\[0\]\.onTimeout/],
    [{ tools: { vacuum: { approvalTimeout: '1m', remind: { at: '5m' } } } }, /servers\[0\]\.tools\.vacuum\.remind/],
  ])('refuses %j', (entry, message) => {
    expect(() => load(entry)).toThrow(message);
  });
});

// Reminder and escalation posts reach Slack (the fake Web API) from a real worker: the reminder as a reply in the
// card's thread naming the approvers, the escalation in the escalation channel, names escaped, and the card redrawn
// with the steps taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideSignal } from '../../workflows/contract.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../testkit/fake-slack-api.ts';
import { startHttpMcpServer, type HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';
import { signedDecision } from '../../testkit/signing.ts';
import { startHarness, waitForPendingApprovals, type Harness } from '../support/round-harness.ts';

describe('Slack reminders and escalation', () => {
  let slack: FakeSlackApi;
  let mcp: HttpMcpServer;
  let harness: Harness;

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    mcp = await startHttpMcpServer({ name: 'k8s' });
    harness = await startHarness({
      // A principal whose id is Slack markup: it must reach Slack as text, never as a mention of the channel.
      approvals: { approvers: ['alice'], groups: { dba: ['dave', '<!channel>'] } },
      servers: [
        {
          name: 'k8s',
          transport: 'http',
          url: mcp.url,
          trusted: true,
          approvalTimeout: '6s',
          remind: { at: '20%' },
          escalate: { at: '40%', to: 'dba', slackChannel: 'C_DBA' },
        },
      ],
      slack: {
        botToken: 'xoxb-reminders',
        signingSecret: 'reminders-signing-secret',
        teamId: 'T1',
        appId: 'A1',
        channel: 'C_APPROVALS',
        users: { U_ALICE: 'alice', U_DAVE: 'dave' },
        apiUrl: slack.apiUrl,
      },
    });
  });

  afterAll(async () => {
    await harness?.close();
    await mcp?.close();
    await slack?.close();
  });

  it('replies in the thread at the reminder, posts the escalation to its channel and redraws the card', async () => {
    harness.routes['slack-remind'] = scriptedSteps(
      { toolCalls: [{ name: 'delete_pod', arguments: { namespace: 'dev', name: 'slack-remind' } }] },
      { content: 'deleted' },
    );
    const handle = await harness.start({ query: 'slack-remind', requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const approvalId = approval!.approvalId;
    const card = await slack.waitForCall('chat.postMessage', (call) =>
      JSON.stringify(call.args.blocks ?? []).includes(approvalId),
    );
    const { channel, ts } = card.answer as { channel: string; ts: string };
    expect(channel).toBe('C_APPROVALS');

    const reminder = await slack.waitForCall(
      'chat.postMessage',
      (call) => String(call.args.text).includes('*Reminder*'),
      15_000,
    );
    expect(reminder.args).toMatchObject({ channel: 'C_APPROVALS', thread_ts: ts });
    expect(reminder.args.text).toContain(approvalId);
    expect(reminder.args.text).toContain('<@U_ALICE>');

    const escalation = await slack.waitForCall(
      'chat.postMessage',
      (call) => String(call.args.text).includes('*Escalated*'),
      15_000,
    );
    expect(escalation.args.channel).toBe('C_DBA');
    expect(escalation.args.thread_ts).toBeUndefined();
    expect(escalation.args.text).toContain('<@U_DAVE>');
    expect(escalation.args.text).toContain('&lt;!channel&gt;');
    expect(escalation.args.text).not.toContain('<!channel>');

    await expect
      .poll(() => JSON.stringify(slack.message(channel, ts)!.blocks), { timeout: 15_000 })
      .toMatch(/Reminded at <!date\^\d+.*Escalated to dba \(dave, &lt;!channel&gt;\) at <!date\^/);

    await handle.signal(
      decideSignal,
      signedDecision({ approvalId, decision: 'approve', approver: { id: 'dave', channel: 'slack' } }),
    );
    expect((await handle.result()).answer).toBe('deleted');
    // The card ends closed, with the steps still shown: the close waits for the step notifications.
    await expect
      .poll(() => JSON.stringify(slack.message(channel, ts)!.blocks), { timeout: 15_000 })
      .toMatch(/Approved.*by \*dave\*/);
    expect(JSON.stringify(slack.message(channel, ts)!.blocks)).toContain('Escalated to dba');
  });
});

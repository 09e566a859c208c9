// An approval's preview in Slack: the card shows its facts and first part with a View preview button, approves in
// one click (sending the preview digest) only when it showed all of it, and the full view shows all of it.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVE_REMEMBER_ACTION,
  APPROVE_ACTION,
  APPROVE_VIEWED_ACTION,
  REJECT_ACTION,
  REJECT_VIEWED_ACTION,
  VIEW_ARGUMENTS_ACTION,
  VIEW_PREVIEW_ACTION,
} from '../../slack/actions.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../testkit/fake-slack-api.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import { waitForPendingApprovals, type Harness } from '../support/round-harness.ts';
import { scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const USERS = { U_ALICE: 'alice', U_BOB: 'bob' };

const cardText = (blocks: any[]) => JSON.stringify(blocks);

describe('Slack previews', () => {
  let slack: FakeSlackApi;
  let mcp: HttpMcpServer;
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;
  let interactions = 0;

  async function send(payload: object): Promise<number> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await fetch(`${api.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature,
      },
      body,
    });
    await response.text();
    return response.status;
  }

  const who = (user: string) => ({
    team: { id: 'T1', domain: 'toolgate-test' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
  });

  async function click(user: string, card: { channel: string; ts: string; blocks: any[] }, actionId: string) {
    const n = ++interactions;
    const button = card.blocks
      .find((block) => block.type === 'actions')
      .elements.find((element: any) => element.action_id === actionId);
    const status = await send({
      type: 'block_actions',
      ...who(user),
      trigger_id: `pv-trigger-${n}`,
      response_url: slack.responseUrl(`pv-interaction-${n}`),
      container: { type: 'message', message_ts: card.ts, channel_id: card.channel, is_ephemeral: false },
      channel: { id: card.channel, name: 'approvals' },
      message: { type: 'message', ts: card.ts, text: 'card', blocks: card.blocks },
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'toolgate_decision',
          value: button.value,
          text: button.text,
          action_ts: String(Date.now() / 1000),
        },
      ],
    });
    expect(status).toBe(200);
    return { triggerId: `pv-trigger-${n}` };
  }

  async function opened(marker: string, call: { name: string; arguments: Record<string, unknown> }) {
    harness.routes[marker] = scriptedSteps({ toolCalls: [call] }, { content: `done ${marker}` });
    const handle = await harness.start({ query: marker, requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const posted = await slack.waitForCall('chat.postMessage', (candidate) =>
      cardText(candidate.args.blocks).includes(approval!.approvalId),
    );
    const card = { channel: posted.answer!.channel, ts: posted.answer!.ts, blocks: posted.args.blocks as any[] };
    return { handle, approval: approval!, card };
  }

  const buttons = (blocks: any[]) =>
    blocks.find((block) => block.type === 'actions').elements.map((button: any) => button.action_id);

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    stack = await startK8sApi({
      approvers: ['alice', 'bob'],
      tools: {
        delete_pod: { preview: { tool: 'read_record', arguments: { key: 'name' } } },
        scale_deployment: { approval: 'always', preview: { tool: 'big_output', arguments: { chars: 'replicas' } } },
      },
      slack: {
        botToken: 'xoxb-test-token',
        signingSecret: SIGNING_SECRET,
        teamId: 'T1',
        appId: 'A1',
        channel: 'C_APPROVALS',
        users: USERS,
        apiUrl: slack.apiUrl,
      },
    });
    ({ mcp, harness, api } = stack);
  });

  afterAll(async () => {
    await stack?.close();
    await slack?.close();
  });

  it('shows a short preview on the card, and Approve sends its digest', async () => {
    const { handle, approval, card } = await opened('s-preview', {
      name: 'delete_pod',
      arguments: { namespace: 'dev', name: 's-preview' },
    });
    expect(buttons(card.blocks)).toEqual([APPROVE_ACTION, APPROVE_REMEMBER_ACTION, REJECT_ACTION, VIEW_PREVIEW_ACTION]);
    const text = cardText(card.blocks);
    expect(text).toContain('*Preview* `read_record`');
    expect(text).toContain('```read_record s-preview```');
    expect(text).toContain(approval.previewDigest!.slice(0, 12));

    await click('U_ALICE', card, APPROVE_ACTION);
    const round = await handle.result();
    expect(round.approvals[0]).toMatchObject({
      status: 'approved',
      decision: { approver: { id: 'alice', channel: 'slack' }, previewDigest: approval.previewDigest },
    });
    expect(mcp.calls.filter((call) => call.tool === 'delete_pod')).toHaveLength(1);
  });

  it('a preview longer than the card is approved only from the full view, which shows all of it', async () => {
    const { handle, approval, card } = await opened('s-long-preview', {
      name: 'scale_deployment',
      arguments: { namespace: 'dev', name: 's-long-preview', replicas: 7000 },
    });
    expect(approval.preview).toMatchObject({ tool: 'big_output', status: 'ok', chars: 7000 });
    expect(buttons(card.blocks)).toEqual([VIEW_ARGUMENTS_ACTION, REJECT_ACTION, VIEW_PREVIEW_ACTION]);
    expect(cardText(card.blocks)).toContain('6500 more characters: View preview');

    const { triggerId } = await click('U_BOB', card, VIEW_PREVIEW_ACTION);
    const view = (await slack.waitForCall('views.open', (call) => call.args.trigger_id === triggerId)).answer!.view;
    expect(buttons(view.blocks)).toEqual([APPROVE_VIEWED_ACTION, REJECT_VIEWED_ACTION]);
    const sections = view.blocks
      .filter((block: any) => block.type === 'section' && block.text.text.startsWith('```'))
      .map((block: any) => block.text.text as string);
    for (const section of sections) expect(section.length).toBeLessThanOrEqual(3000);
    const shown = sections.map((section: string) => section.slice(3, -3)).join('');
    const full = (await api.request('bob', 'GET', `/v1/approvals/${approval.approvalId}`)).body;
    expect(shown).toBe(
      `${full.argumentsText}\n\n--- preview big_output (ok, ${full.preview.at}) ---\n${full.preview.content}`,
    );
    expect(full.preview.content).toHaveLength(7000);

    expect(
      await send({
        type: 'block_actions',
        ...who('U_BOB'),
        trigger_id: `pv-trigger-${++interactions}`,
        container: { type: 'view', view_id: view.id },
        view: {
          ...view,
          team_id: 'T1',
          app_id: 'A1',
          bot_id: 'BBOT',
          hash: 'h',
          root_view_id: view.id,
          state: { values: {} },
        },
        actions: [
          {
            type: 'button',
            action_id: APPROVE_VIEWED_ACTION,
            block_id: 'toolgate_arguments_decision',
            action_ts: String(Date.now() / 1000),
          },
        ],
      }),
    ).toBe(200);
    const round = await handle.result();
    expect(round.approvals[0]).toMatchObject({
      status: 'approved',
      decision: { approver: { id: 'bob', channel: 'slack' }, previewDigest: approval.previewDigest },
    });
  });
});

// Edit on approve from Slack, end to end: a real worker posts the card to the fake Slack Web API, the real Bolt app
// behind the real API takes signed clicks and modal submissions, and the round runs (or refuses) the edited call.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVE_ACTION, APPROVE_REMEMBER_ACTION, EDIT_ACTION, REJECT_ACTION } from '../../slack/actions.ts';
import { stateQuery } from '../../workflows/contract.ts';
import type { ApiHarness } from '../support/api-harness.ts';
import { startFakeSlackApi, type FakeSlackApi, type SlackCall } from '../../testkit/fake-slack-api.ts';
import type { HttpMcpServer } from '../../testkit/mcp-test-server.ts';
import { startK8sApi, type K8sApi } from '../support/k8s-api.ts';
import { waitForPendingApprovals, type Harness } from '../support/round-harness.ts';
import { firstUserMessage, lastToolMessages, messageText, scriptedSteps } from '../../testkit/scripted-llm-server.ts';

const SIGNING_SECRET = 'slack-edit-signing-secret';
const USERS = { U_ALICE: 'alice', U_BOB: 'bob', U_MALLORY: 'mallory' };

interface Card {
  channel: string;
  ts: string;
  text: string;
  blocks: any[];
}

const blocksText = (blocks: any[]) => JSON.stringify(blocks);
const buttonsOf = (blocks: any[]) =>
  blocks.find((block) => block.type === 'actions')?.elements.map((button: any) => button.action_id) ?? [];
const inputOf = (view: any) => view.blocks.find((block: any) => block.type === 'input');

describe('Edit and approve in Slack', () => {
  let slack: FakeSlackApi;
  let mcp: HttpMcpServer;
  let stack: K8sApi;
  let harness: Harness;
  let api: ApiHarness;
  let interactions = 0;

  async function startGated(marker: string, tool: string, args: Record<string, unknown>) {
    harness.routes[marker] = scriptedSteps(
      { toolCalls: [{ name: tool, arguments: args }] },
      { content: `done ${marker}` },
    );
    const handle = await harness.start({ query: marker, requester: 'carol' });
    const [approval] = await waitForPendingApprovals(handle);
    const call = await slack.waitForCall('chat.postMessage', (posted) =>
      blocksText(posted.args.blocks).includes(approval!.approvalId),
    );
    const card: Card = {
      channel: call.answer!.channel,
      ts: call.answer!.ts,
      text: call.args.text,
      blocks: call.args.blocks,
    };
    return { handle, approval: approval!, card };
  }

  /** Decisions that reached the round's history (signals or accepted updates). */
  async function decisionsReceived(roundId: string): Promise<number> {
    const history = await harness.client.workflow.getHandle(roundId).fetchHistory();
    return (history.events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes || event.workflowExecutionUpdateAcceptedEventAttributes,
    ).length;
  }

  /** POSTs a payload to /slack/events as Slack does: a form with a JSON `payload`, signed. */
  async function send(payload: object): Promise<{ status: number; text: string }> {
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
    return { status: response.status, text: await response.text() };
  }

  const who = (user: string) => ({ id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T1' });

  /** A click on the card's button `actionId` (any button's value when the card has no such button: a crafted click). */
  async function click(user: string, card: Card, actionId: string) {
    const n = ++interactions;
    const value = card.blocks.find((block) => block.type === 'actions').elements[0].value;
    const payload = {
      type: 'block_actions',
      team: { id: 'T1', domain: 'toolgate-test' },
      user: who(user),
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      trigger_id: `edit-trigger-${n}`,
      response_url: slack.responseUrl(`edit-interaction-${n}`),
      container: { type: 'message', message_ts: card.ts, channel_id: card.channel, is_ephemeral: false },
      channel: { id: card.channel, name: 'approvals' },
      message: { type: 'message', ts: card.ts, text: card.text, blocks: card.blocks },
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'toolgate_decision',
          value,
          text: { type: 'plain_text', text: 'Edit and approve' },
          action_ts: String(Date.now() / 1000),
        },
      ],
    };
    const sent = await send(payload);
    return { ...sent, triggerId: `edit-trigger-${n}`, responseId: `edit-interaction-${n}` };
  }

  async function openedModal(user: string, card: Card): Promise<any> {
    const clicked = await click(user, card, EDIT_ACTION);
    expect(clicked).toMatchObject({ status: 200, text: '' });
    return (await slack.waitForCall('views.open', (call) => call.args.trigger_id === clicked.triggerId)).answer!.view;
  }

  /** The modal submitted by `user` with `text` in its field, as Slack sends it. */
  function submit(user: string, view: any, text: string) {
    return send({
      type: 'view_submission',
      team: { id: 'T1', domain: 'toolgate-test' },
      user: who(user),
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      trigger_id: `edit-trigger-${++interactions}`,
      view: {
        ...view,
        team_id: 'T1',
        app_id: 'A1',
        bot_id: 'BBOT',
        hash: 'view-hash',
        root_view_id: view.id,
        previous_view_id: null,
        state: { values: { edited_arguments: { edited_arguments_input: { type: 'plain_text_input', value: text } } } },
      },
      response_urls: [],
    });
  }

  /** The modal as views.update left it after a submission of view `viewId`, once it shows `marker`. */
  async function updatedModal(viewId: string, marker: string): Promise<any> {
    const call = await slack.waitForCall(
      'views.update',
      (update: SlackCall) => update.args.view_id === viewId && JSON.stringify(update.args.view).includes(marker),
    );
    return call.args.view;
  }

  beforeAll(async () => {
    slack = await startFakeSlackApi();
    stack = await startK8sApi({
      approvers: ['alice', 'bob'],
      tools: { delete_pod: { editable: false } },
      slack: {
        botToken: 'xoxb-edit-test',
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

  it('opens the full arguments as JSON, runs the edited call, tells the model and redraws the card, escaped', async () => {
    // Slack markup in a value: the edited call keeps it, every Slack text shows it escaped.
    const name = 'web<!channel>&<@U_BOB>';
    const args = { namespace: 'dev', name, replicas: 30 };
    const { handle, approval, card } = await startGated('se-edit', 'scale_deployment', args);
    expect(buttonsOf(card.blocks)).toEqual([APPROVE_ACTION, APPROVE_REMEMBER_ACTION, EDIT_ACTION, REJECT_ACTION]);
    expect(blocksText(card.blocks)).not.toContain('<!channel>');

    const view = await openedModal('U_ALICE', card);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'toolgate_edit_approve',
      submit: { text: 'Approve with edits' },
    });
    expect(inputOf(view).element).toMatchObject({
      type: 'plain_text_input',
      multiline: true,
      max_length: 3000,
      initial_value: JSON.stringify(args, null, 2),
    });
    expect(JSON.stringify(view.blocks.filter((block: any) => block.type !== 'input'))).not.toContain('<!channel>');
    expect(await decisionsReceived(handle.workflowId)).toBe(0);

    const edited = inputOf(view).element.initial_value.replace('"replicas": 30', '"replicas": 3');
    const submitted = await submit('U_ALICE', view, edited);
    expect(submitted.status).toBe(200);
    expect(JSON.parse(submitted.text)).toMatchObject({ response_action: 'update' });
    await updatedModal(view.id, "Approved k8s/scale_deployment with your arguments: they run instead of the model's.");

    const result = await handle.result();
    expect(result.approvals[0]).toMatchObject({
      status: 'approved',
      decision: {
        approver: { id: 'alice', channel: 'slack' },
        argsDigest: approval.argsDigest,
        editedArguments: { ...args, replicas: 3 },
      },
    });
    const scaled = mcp.calls.filter((call) => call.tool === 'scale_deployment' && call.arguments.name === name);
    expect(scaled.map((call) => call.arguments)).toEqual([{ ...args, replicas: 3 }]);
    const lastRequest = harness.llm.requests.filter((request) => firstUserMessage(request) === 'se-edit').at(-1)!;
    expect(lastToolMessages(lastRequest).map(messageText)[0]).toMatch(/^Approved with changes by alice: ran with/);

    await expect.poll(() => buttonsOf(slack.message(card.channel, card.ts)!.blocks), { timeout: 20_000 }).toEqual([]);
    const closed = blocksText(slack.message(card.channel, card.ts)!.blocks);
    expect(closed).toContain('*Approved with changes* by *alice* via slack');
    expect(closed).toContain("*Ran with the approver's arguments*");
    expect(closed).toContain('\\"replicas\\": 3');
    expect(closed).toContain('web&lt;!channel&gt;&amp;&lt;@U_BOB&gt;');
    expect(closed).not.toMatch(/<!channel>|<@U_BOB>/);
  });

  it('names the line and column of malformed JSON in the field, and decides nothing', async () => {
    const { handle, card } = await startGated('se-malformed', 'scale_deployment', {
      namespace: 'dev',
      name: 'se-malformed',
      replicas: 2,
    });
    const view = await openedModal('U_BOB', card);
    const trailingComma = '{\n  "namespace": "dev",\n  "name": "se-malformed",\n  "replicas": 4,\n}';
    const refused = await submit('U_BOB', view, trailingComma);
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.text)).toEqual({
      response_action: 'errors',
      errors: { edited_arguments: 'Not valid JSON at line 5, column 1.' },
    });
    expect(JSON.parse((await submit('U_BOB', view, '[1, 2]')).text)).toEqual({
      response_action: 'errors',
      errors: { edited_arguments: "Give a JSON object: the tool call's complete arguments." },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(slack.callsTo('views.update').filter((call) => call.args.view_id === view.id)).toEqual([]);
    expect(await decisionsReceived(handle.workflowId)).toBe(0);
    expect((await handle.query(stateQuery)).approvals[0]!.status).toBe('pending');
    await handle.cancel();
  });

  it("shows the round's refusal of a schema-invalid edit in the form, and the approval stays pending", async () => {
    const { handle, card } = await startGated('se-invalid', 'scale_deployment', {
      namespace: 'dev',
      name: 'se-invalid',
      replicas: 2,
    });
    const view = await openedModal('U_ALICE', card);
    const edited = JSON.stringify({ namespace: 'dev', name: 'se-invalid', replicas: 'three' }, null, 2);
    expect(JSON.parse((await submit('U_ALICE', view, edited)).text)).toMatchObject({ response_action: 'update' });
    const form = await updatedModal(view.id, 'The round refused this edit');
    // The form again, with the approver's text to fix and each reason above it.
    expect(inputOf(form).element.initial_value).toBe(edited);
    const reasons = JSON.stringify(form.blocks.filter((block: any) => block.type !== 'input'));
    expect(reasons).toContain('• replicas must be of type number, not string');
    expect(await decisionsReceived(handle.workflowId)).toBe(0);
    expect((await handle.query(stateQuery)).approvals[0]!.status).toBe('pending');
    expect(mcp.calls.filter((call) => call.arguments.name === 'se-invalid')).toEqual([]);
    await handle.cancel();
  });

  it('offers no editable field for arguments longer than Slack holds: it says where to edit them instead', async () => {
    const long = { namespace: 'dev', name: `se-long-${'x'.repeat(3100)}`, replicas: 2 };
    const { handle, approval, card } = await startGated('se-long', 'scale_deployment', long);
    expect(buttonsOf(card.blocks)).not.toContain(EDIT_ACTION);
    const cardNote = blocksText(card.blocks);
    expect(cardNote).toContain(`toolgate approve ${approval.approvalId} --edit`);
    expect(cardNote).toContain('more than a Slack field holds (3000)');

    // A crafted click (or a card drawn before) still gets no field: a note, with the console's page of the approval.
    const view = await openedModal('U_ALICE', card);
    expect(inputOf(view)).toBeUndefined();
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view)).toContain(`toolgate approve ${approval.approvalId} --edit`);
    expect(JSON.stringify(view)).toContain(
      `<http://api.test/ui/approvals/${approval.approvalId}|its page in the console>`,
    );
    expect(JSON.stringify(view)).not.toContain('x'.repeat(3100));
    expect(await decisionsReceived(handle.workflowId)).toBe(0);
    await handle.cancel();
  });

  it('lets only the approvers edit: a non-approver is refused at the button and at the submission', async () => {
    const args = { namespace: 'dev', name: 'se-mallory', replicas: 2 };
    const { handle, card } = await startGated('se-mallory', 'scale_deployment', args);
    const clicked = await click('U_MALLORY', card, EDIT_ACTION);
    expect(clicked.status).toBe(200);
    const answer = await slack.waitForCall('response_url', (call) => call.responseId === clicked.responseId);
    expect(answer.args.text).toBe('You are not an approver for scale_deployment.');
    expect(slack.callsTo('views.open').filter((call) => call.args.trigger_id === clicked.triggerId)).toEqual([]);

    // Alice's form, submitted by mallory (a crafted request): the API's checks refuse it.
    const view = await openedModal('U_ALICE', card);
    const edited = JSON.stringify({ ...args, replicas: 99 });
    expect(JSON.parse((await submit('U_MALLORY', view, edited)).text)).toMatchObject({ response_action: 'update' });
    await updatedModal(view.id, 'You are not an approver for scale_deployment.');
    // A Slack user mapped to no principal is told so in the field.
    expect(JSON.parse((await submit('U_STRANGER', view, edited)).text)).toEqual({
      response_action: 'errors',
      errors: { edited_arguments: 'Your Slack account is not mapped to a toolgate principal.' },
    });
    expect(await decisionsReceived(handle.workflowId)).toBe(0);
    expect((await handle.query(stateQuery)).approvals[0]!.status).toBe('pending');
    expect(mcp.calls.filter((call) => call.arguments.name === 'se-mallory')).toEqual([]);
    await handle.cancel();
  });

  it('offers no edit for a tool with editable: false, and the round refuses a crafted one with its reason', async () => {
    const { handle, card } = await startGated('se-locked', 'delete_pod', { namespace: 'dev', name: 'se-locked' });
    expect(buttonsOf(card.blocks)).toEqual([APPROVE_ACTION, APPROVE_REMEMBER_ACTION, REJECT_ACTION]);
    expect(blocksText(card.blocks)).not.toContain('--edit');

    const view = await openedModal('U_BOB', card);
    const edited = JSON.stringify({ namespace: 'dev', name: 'se-other' });
    expect(JSON.parse((await submit('U_BOB', view, edited)).text)).toMatchObject({ response_action: 'update' });
    const form = await updatedModal(view.id, 'The round refused this edit');
    expect(JSON.stringify(form)).toContain('the policy of k8s/delete_pod says editable: false');
    expect(await decisionsReceived(handle.workflowId)).toBe(0);
    expect(
      mcp.calls.filter((call) => call.tool === 'delete_pod' && String(call.arguments.name).startsWith('se-')),
    ).toEqual([]);
    await handle.cancel();
  });
});

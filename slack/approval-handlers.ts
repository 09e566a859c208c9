// The Slack listeners, the same for the HTTP receiver and Socket Mode. A click is checked before anything
// reaches the round: the Slack user must map to a principal who may decide a still pending approval.
// Decisions then take the HTTP API's path (`decide`), with channel `slack` and the card's digest.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Logger } from 'pino';
import { APPROVE_ACTION, REJECT_ACTION, parseButtonValue, type ButtonValue } from './actions.ts';
import { mayDecide } from '../workflows/shared/decide-rights.ts';
import type { ApprovalSummary } from '../workflows/contract.ts';
import { ApiError } from '../runtime/api-error.ts';
import type { ApprovalDesk } from './approval-desk.ts';
import { replyTo, type Reply } from './ephemeral-reply.ts';
import { REASON_BLOCK, REJECT_VIEW, parseRejectSubmission, rejectModal } from './reject-modal.ts';

export interface ApprovalHandlerOptions {
  desk: ApprovalDesk;
  /** Slack user id -> principal id. */
  users: Record<string, string>;
  logger: Logger;
}

interface Admitted {
  ok: true;
  principal: string;
  approval: ApprovalSummary;
  /** The digest the card showed, so the decision cannot apply to other arguments. */
  argsDigest: string;
}

type Admission = Admitted | { ok: false; text: string };

export function registerApprovalHandlers(app: App, options: ApprovalHandlerOptions): void {
  const { desk, users, logger } = options;

  async function admit(slackUserId: string, value: ButtonValue | undefined): Promise<Admission> {
    if (!value) return { ok: false, text: 'This button is not a toolgate approval.' };
    const principal = users[slackUserId];
    if (!principal) return { ok: false, text: 'Your Slack account is not mapped to a toolgate principal.' };
    const found = await desk.lookUp(value.approvalId);
    if (!found.pending) return { ok: false, text: found.state };
    const { approval } = found;
    if (!mayDecide(approval, principal).allowed) {
      const approver = approval.approvers.includes('*') || approval.approvers.includes(principal);
      const text = approver
        ? `You requested this call of ${approval.tool} and may not decide it yourself.`
        : `You are not an approver for ${approval.tool}.`;
      return { ok: false, text };
    }
    return { ok: true, principal, approval, argsDigest: value.argsDigest };
  }

  async function decideAndReply(
    admitted: Admitted,
    decision: 'approve' | 'reject',
    reason: string | undefined,
    reply: Reply,
  ): Promise<void> {
    const { approval, argsDigest } = admitted;
    try {
      const body = { decision, argsDigest, ...(reason === undefined ? {} : { reason }) };
      const outcome = await desk.decide(approval.approvalId, { id: admitted.principal, channel: 'slack' }, body);
      if (outcome.queued)
        await reply(
          `No worker answered in time: your decision on ${approval.tool} is queued and applies when a worker returns.`,
        );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await reply(error.status === 403 ? `You are not an approver for ${approval.tool}.` : error.message);
    }
  }

  /** Whatever goes wrong after the ack, the clicker hears about it instead of watching nothing happen. */
  async function guarded(reply: Reply, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      logger.error({ err: error }, 'Slack interaction failed');
      await reply('toolgate could not handle this click; try again, or decide with the HTTP API.').catch(
        () => undefined,
      );
    }
  }

  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const reply = replyTo(body.response_url);
    await guarded(reply, async () => {
      const admitted = await admit(body.user.id, parseButtonValue(action.value));
      if (!admitted.ok) return reply(admitted.text);
      await decideAndReply(admitted, 'approve', undefined, reply);
    });
  });

  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const reply = replyTo(body.response_url);
    await guarded(reply, async () => {
      const admitted = await admit(body.user.id, parseButtonValue(action.value));
      if (!admitted.ok) return reply(admitted.text);
      await client.views.open({
        trigger_id: body.trigger_id,
        view: rejectModal(admitted.approval, admitted.argsDigest, body.response_url),
      });
    });
  });

  app.view(REJECT_VIEW, async ({ ack, body, view }) => {
    const submission = parseRejectSubmission(view);
    if (!submission)
      return ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'Give a reason for the rejection.' } });
    await ack();
    const reply = replyTo(submission.responseUrl);
    await guarded(reply, async () => {
      const admitted = await admit(body.user.id, submission);
      if (!admitted.ok) return reply(admitted.text);
      await decideAndReply(admitted, 'reject', submission.reason, reply);
    });
  });
}

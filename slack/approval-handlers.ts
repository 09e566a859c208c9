// The Slack listeners, the same for the HTTP receiver and Socket Mode. The Slack user must map to a principal;
// the decision then takes the HTTP API's path through the desk (checked there once, and by the round), with
// channel `slack` and the card's digest. Whatever refuses it is told to the clicker in an ephemeral reply.
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from 'pino';
import {
  APPROVE_ACTION,
  APPROVE_REMEMBER_ACTION,
  APPROVE_VIEWED_ACTION,
  EDIT_ACTION,
  NEXT_PAGE_ACTION,
  REJECT_ACTION,
  REJECT_VIEWED_ACTION,
  VIEW_ARGUMENTS_ACTION,
  VIEW_PREVIEW_ACTION,
  parseButtonValue,
  type ButtonValue,
} from './actions.ts';
import { reviewReasons } from '../workflows/shared/approval-summary.ts';
import { argumentsModal, outcomeModal, parseModalState, type ArgumentsModalState } from './arguments-modal.ts';
import { CARD_ARGUMENT_CHARS } from './card.ts';
import type { ApprovalRecord, ApprovalSummary } from '../workflows/contract.ts';
import type { ApprovalDesk, Refusal } from './approval-desk.ts';
import { replyTo, type Reply } from './ephemeral-reply.ts';
import { REASON_BLOCK, REJECT_VIEW, parseRejectSubmission, rejectModal } from './reject-modal.ts';
import { reviewedText } from './preview-blocks.ts';
import { EDIT_BLOCK, EDIT_VIEW, editModal, editNoteModal, parseEditSubmission } from './edit-modal.ts';
import { editElsewhereText, slackEditOffer } from './edit-offer.ts';
import { parseArgumentsJson } from '../runtime/arguments-json.ts';
import { escapeText } from './text.ts';

export interface ApprovalHandlerOptions {
  desk: ApprovalDesk;
  /** Slack user id -> principal id. */
  users: Record<string, string>;
  logger: Logger;
  /** The approval's page in the console, where an edit too long for Slack can be made; absent without a console. */
  approvalPage?: ((approvalId: string) => string) | undefined;
  /** The TTL of the card's Approve and remember (approvals.grants.defaultTtl, capped by maxTtl). */
  rememberTtlMs?: number;
}

/** The principal a Slack user maps to: own entries only, so an id like `constructor` maps to nothing. */
function principalOf(users: Record<string, string>, slackUserId: string): string | undefined {
  return Object.hasOwn(users, slackUserId) ? users[slackUserId] : undefined;
}

const NOT_A_BUTTON = 'This button is not a toolgate approval.';
const NOT_MAPPED = 'Your Slack account is not mapped to a toolgate principal.';

/** What a clicker reads when the click cannot decide. */
function refusalText(refusal: Refusal): string {
  switch (refusal.why) {
    case 'not_found':
      return `Approval ${refusal.approvalId} was not found.`;
    case 'closed':
      return refusal.record ? closedState(refusal.record) : `Approval ${refusal.approvalId} is no longer pending.`;
    case 'not_an_approver':
      return `You are not an approver for ${refusal.approval.tool}.`;
    case 'own_request':
      return `You requested this call of ${refusal.approval.tool} and may not decide it yourself.`;
    case 'refused':
    case 'edit_refused':
      return refusal.message;
  }
}

/** What the editor reads once the desk took the edited approval. */
function editedText(outcome: {
  approval: ApprovalSummary;
  queued: boolean;
  applied: boolean;
  edited?: boolean;
}): string {
  const target = `${outcome.approval.server}/${outcome.approval.tool}`;
  if (outcome.queued)
    return `No worker answered in time: your approval of ${target} with your arguments is queued and applies when a worker returns.`;
  if (!outcome.applied)
    return `Approval ${outcome.approval.approvalId} of ${target} was already decided: your edit did not apply.`;
  return outcome.edited
    ? `Approved ${target} with your arguments: they run instead of the model's.`
    : `Approved ${target}: your arguments were the model's, unchanged.`;
}

function closedState(record: ApprovalRecord): string {
  const what = `Approval ${record.approvalId} (${record.server}/${record.tool})`;
  const decision = record.decision;
  if (!decision)
    return record.status === 'expired'
      ? `${what} expired without a decision.`
      : `${what} was ${record.status} with its round.`;
  const reason = decision.reason ? `: ${decision.reason}` : '';
  const status = decision.editedArguments ? `${record.status} with changes` : record.status;
  return `${what} was already ${status} by ${decision.approver.id} via ${decision.approver.channel}${reason}.`;
}

export function registerApprovalHandlers(app: App, options: ApprovalHandlerOptions): void {
  const { desk, users, logger, approvalPage, rememberTtlMs } = options;

  /** The card button's approval and the clicker's principal, or what to tell the clicker. */
  function cardClick(
    slackUserId: string,
    value: ButtonValue | undefined,
  ): { value: ButtonValue; principal: string } | { text: string } {
    if (!value) return { text: NOT_A_BUTTON };
    const principal = principalOf(users, slackUserId);
    return principal ? { value, principal } : { text: NOT_MAPPED };
  }

  /** A decision for the clicker's principal; the desk checks it once, and the round once more. */
  async function decideAndReply(
    slackUserId: string,
    value: ButtonValue | undefined,
    decision: 'approve' | 'reject',
    reason: string | undefined,
    reply: Reply,
    remember?: { ttl: number },
  ): Promise<void> {
    const click = cardClick(slackUserId, value);
    if ('text' in click) return reply(click.text);
    const { principal } = click;
    const body = {
      decision,
      argsDigest: click.value.argsDigest,
      ...(click.value.previewDigest === undefined ? {} : { previewDigest: click.value.previewDigest }),
      ...(reason === undefined ? {} : { reason }),
      ...(remember ? { remember } : {}),
    };
    const outcome = await desk.decide(click.value.approvalId, { id: principal, channel: 'slack' }, body);
    if (!('ok' in outcome)) return reply(refusalText(outcome));
    if (outcome.queued)
      await reply(
        `No worker answered in time: your decision on ${outcome.approval.tool} is queued and applies when a worker returns.`,
      );
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

  /** Approve from the card: only when the card showed every argument as it runs; remembered when asked. */
  function approveFromCard(remember: { ttl: number } | undefined) {
    return async ({
      ack,
      body,
      action,
    }: {
      ack: () => Promise<void>;
      body: BlockAction<ButtonAction>;
      action: ButtonAction;
    }) => {
      await ack();
      const reply = replyTo(body.response_url);
      await guarded(reply, async () => {
        const click = cardClick(body.user.id, parseButtonValue(action.value));
        if ('text' in click) return reply(click.text);
        const { value, principal } = click;
        // A card posted before its approval needed a full view (or crafted) still cannot approve unseen arguments.
        const admitted = await desk.admit(value.approvalId, principal);
        if (!('ok' in admitted)) return reply(refusalText(admitted));
        const reasons = reviewReasons(admitted.approval, CARD_ARGUMENT_CHARS);
        if (reasons.length > 0)
          return reply(`The card does not show every argument (${reasons.join('; ')}): use View all arguments.`);
        await decideAndReply(body.user.id, value, 'approve', undefined, reply, remember);
      });
    };
  }

  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION, approveFromCard(undefined));
  app.action<BlockAction<ButtonAction>>(
    APPROVE_REMEMBER_ACTION,
    rememberTtlMs === undefined
      ? async ({ ack, body }) => {
          await ack();
          await replyTo(body.response_url)('Approve and remember is not configured here: approve, then ask again.');
        }
      : approveFromCard({ ttl: rememberTtlMs }),
  );

  /** Every argument of the approval in the modal, at `page`; refusals replace the modal's content. */
  async function argumentsView(principal: string, state: ArgumentsModalState) {
    const reviewed = await desk.review(state.approvalId, principal);
    if (!('ok' in reviewed)) return outcomeModal(refusalText(reviewed));
    return argumentsModal(reviewed.approval, reviewedText(reviewed), state);
  }

  const viewAll = async ({
    ack,
    body,
    action,
    client,
  }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => {
    await ack();
    const reply = replyTo(body.response_url);
    await guarded(reply, async () => {
      const click = cardClick(body.user.id, parseButtonValue(action.value));
      if ('text' in click) return reply(click.text);
      const { value, principal } = click;
      const reviewed = await desk.review(value.approvalId, principal);
      if (!('ok' in reviewed)) return reply(refusalText(reviewed));
      const state = { ...value, responseUrl: body.response_url, page: 0 };
      await client.views.open({
        trigger_id: body.trigger_id,
        view: argumentsModal(reviewed.approval, reviewedText(reviewed), state),
      });
    });
  };
  app.action<BlockAction<ButtonAction>>(VIEW_ARGUMENTS_ACTION, viewAll);
  app.action<BlockAction<ButtonAction>>(VIEW_PREVIEW_ACTION, viewAll);

  /** A button inside the arguments modal: its state, the clicker's principal, and where to answer. */
  function modalClick(body: BlockAction<ButtonAction>) {
    const state = parseModalState(body.view);
    const principal = principalOf(users, body.user.id);
    return state && principal && body.view ? { state, principal, viewId: body.view.id } : undefined;
  }

  app.action<BlockAction<ButtonAction>>(NEXT_PAGE_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const next = { ...click.state, page: click.state.page + 1 };
    await client.views.update({ view_id: click.viewId, view: await argumentsView(click.principal, next) });
  });

  app.action<BlockAction<ButtonAction>>(APPROVE_VIEWED_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const { state, principal, viewId } = click;
    const decision = {
      decision: 'approve' as const,
      argsDigest: state.argsDigest,
      ...(state.previewDigest === undefined ? {} : { previewDigest: state.previewDigest }),
    };
    const outcome = await desk.decide(state.approvalId, { id: principal, channel: 'slack' }, decision);
    const text = !('ok' in outcome)
      ? refusalText(outcome)
      : outcome.queued
        ? `No worker answered in time: your approval of ${outcome.approval.tool} is queued and applies when a worker returns.`
        : `Approved ${outcome.approval.server}/${outcome.approval.tool}.`;
    await client.views.update({ view_id: viewId, view: outcomeModal(text) });
  });

  app.action<BlockAction<ButtonAction>>(REJECT_VIEWED_ACTION, async ({ ack, body, client }) => {
    await ack();
    const click = modalClick(body);
    if (!click) return;
    const { state, principal } = click;
    const admitted = await desk.admit(state.approvalId, principal);
    if (!('ok' in admitted)) {
      await client.views.update({ view_id: click.viewId, view: outcomeModal(refusalText(admitted)) });
      return;
    }
    await client.views.push({
      trigger_id: body.trigger_id,
      view: rejectModal(admitted.approval, state.argsDigest, state.responseUrl),
    });
  });

  app.action<BlockAction<ButtonAction>>(REJECT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const reply = replyTo(body.response_url);
    await guarded(reply, async () => {
      const click = cardClick(body.user.id, parseButtonValue(action.value));
      if ('text' in click) return reply(click.text);
      const { value, principal } = click;
      const admitted = await desk.admit(value.approvalId, principal);
      if (!('ok' in admitted)) return reply(refusalText(admitted));
      await client.views.open({
        trigger_id: body.trigger_id,
        view: rejectModal(admitted.approval, value.argsDigest, body.response_url),
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
      await decideAndReply(body.user.id, submission, 'reject', submission.reason, reply);
    });
  });

  // Edit on approve: the same admission as Approve (a mapped principal who may decide), then the arguments whole.
  app.action<BlockAction<ButtonAction>>(EDIT_ACTION, async ({ ack, body, action, client }) => {
    await ack();
    const reply = replyTo(body.response_url);
    await guarded(reply, async () => {
      const click = cardClick(body.user.id, parseButtonValue(action.value));
      if ('text' in click) return reply(click.text);
      const { value, principal } = click;
      const reviewed = await desk.review(value.approvalId, principal);
      if (!('ok' in reviewed)) return reply(refusalText(reviewed));
      const { approval, argumentsText } = reviewed;
      const offer = slackEditOffer(approval);
      if (offer.offer === 'none') return reply(`This approval cannot be approved with edits: ${offer.why}.`);
      const view =
        offer.offer === 'elsewhere'
          ? editNoteModal(editElsewhereText(approval.approvalId, offer.chars, approvalPage?.(approval.approvalId)))
          : editModal(approval, argumentsText, { ...value, responseUrl: body.response_url });
      await client.views.open({ trigger_id: body.trigger_id, view });
    });
  });

  app.view(EDIT_VIEW, async ({ ack, body, view, client }) => {
    const submission = parseEditSubmission(view);
    const fieldError = (text: string) => ack({ response_action: 'errors', errors: { [EDIT_BLOCK]: text } });
    if (!submission) return fieldError(NOT_A_BUTTON);
    const principal = principalOf(users, body.user.id);
    if (!principal) return fieldError(NOT_MAPPED);
    const parsed = parseArgumentsJson(submission.text);
    if (!parsed.ok)
      return fieldError(
        parsed.problem === 'syntax'
          ? `Not valid JSON at line ${parsed.line}, column ${parsed.column}.`
          : "Give a JSON object: the tool call's complete arguments.",
      );
    await ack({ response_action: 'update', view: editNoteModal('Approving with your arguments…') });
    const { state, text } = submission;
    const reply = replyTo(state.responseUrl);
    await guarded(reply, async () => {
      const decision = { decision: 'approve' as const, argsDigest: state.argsDigest, arguments: parsed.arguments };
      const outcome = await desk.decide(state.approvalId, { id: principal, channel: 'slack' }, decision);
      // A refused edit goes back into the form with the reasons, to be fixed; anything else ends here.
      const next =
        'ok' in outcome
          ? editNoteModal(escapeText(editedText(outcome)))
          : outcome.why === 'edit_refused'
            ? editModal(outcome.approval, text, state, outcome.reasons.length > 0 ? outcome.reasons : [outcome.message])
            : editNoteModal(escapeText(refusalText(outcome)));
      await client.views.update({ view_id: view.id, view: next });
    });
  });
}

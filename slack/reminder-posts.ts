// What Slack is told at a reminder step of a waiting approval: a reply in the card's thread naming the people who
// may decide (mentioned when `slack.users` maps them), and an escalation posted to the escalation channel.
import type { ApprovalRecord, ReminderStep } from '../workflows/contract.ts';
import { reminderStepText } from '../workflows/shared/reminder-text.ts';
import { escapeText, slackDate } from './text.ts';
import { clip } from '../workflows/shared/clip.ts';

const TEXT_CHARS = 3000;

/** `<@U123>` for a principal a Slack user maps to, else the principal's id, escaped. */
export function mentions(principals: readonly string[], users: Record<string, string>): string {
  const byPrincipal = new Map(Object.entries(users).map(([slackUser, principal]) => [principal, slackUser]));
  return principals
    .map((principal) => {
      const slackUser = byPrincipal.get(principal);
      return slackUser ? `<@${slackUser}>` : escapeText(principal);
    })
    .join(', ');
}

/** The text of a step's post: what happened, to which call, who may decide now and until when. */
export function stepText(approval: ApprovalRecord, step: ReminderStep, users: Record<string, string>): string {
  const target = escapeText(`${approval.server}/${approval.tool}`);
  const who = step.kind === 'escalation' ? (step.to ?? []) : approval.approvers;
  const lead = {
    reminder: `:bell: *Reminder*: approval \`${escapeText(approval.approvalId)}\` of ${target} still waits for ${mentions(who, users)}`,
    escalation: `:rotating_light: *Escalated*: approval \`${escapeText(approval.approvalId)}\` of ${target} may now be decided by ${mentions(who, users)}`,
    extension: `:hourglass_flowing_sand: *Extended*: approval \`${escapeText(approval.approvalId)}\` of ${target} waits for ${mentions(approval.approvers, users)}`,
  }[step.kind];
  const detail = reminderStepText(step, slackDate, escapeText);
  return clip(
    `${lead} (requested by ${escapeText(approval.requester)}, expires ${slackDate(approval.expiresAt)}). ${detail}.`,
    TEXT_CHARS,
  );
}

// An approval's reminders in words, the same on every channel (CLI, Slack card, console, events): each step taken
// and the one planned next. Times go through the channel's own formatter (terminal, Slack date, HTML).
import type { ReminderStep, Reminders } from '../contract.ts';

type When = (iso: string) => string;
/** How the channel escapes names (group and principal ids) in its markup. */
type Escape = (text: string) => string;
const asIs: Escape = (text) => text;

/** `Reminded at 12:03`, `Escalated to dba (dave, frank) at 12:04`, `Extended to 12:10 at 12:05` */
export function reminderStepText(step: ReminderStep, when: When, escape: Escape = asIs): string {
  switch (step.kind) {
    case 'reminder':
      return `Reminded at ${when(step.at)}`;
    case 'escalation': {
      const people = (step.to ?? []).map(escape).join(', ');
      const to = step.group === undefined ? people : `${escape(step.group)} (${people})`;
      return `Escalated to ${to} at ${when(step.at)}`;
    }
    case 'extension':
      return `Extended to ${when(step.expiresAt ?? step.at)} at ${when(step.at)}`;
  }
}

/** One line per step taken, then the next one planned; empty when nothing was planned. */
export function reminderLines(reminders: Reminders | undefined, when: When, escape: Escape = asIs): string[] {
  if (!reminders) return [];
  return [
    ...reminders.steps.map((step) => reminderStepText(step, when, escape)),
    ...(reminders.next ? [`Next: ${reminders.next.kind} at ${when(reminders.next.at)}`] : []),
  ];
}

// Whether Slack offers edit on approve for an approval, and how: the clients' shared rule (workflows/shared/
// edit-offer.ts), then Slack's own limit. A plain_text_input holds at most 3,000 characters, and arguments are
// never clipped where someone edits them: a longer call is edited with the CLI or in the console instead.
import type { ApprovalSummary } from '../workflows/contract.ts';
import { editBlocker } from '../workflows/shared/edit-offer.ts';
import { escapeText } from './text.ts';

/** Slack's limit for a plain_text_input. */
export const EDIT_FIELD_CHARS = 3000;

export type SlackEditOffer =
  | { offer: 'field' }
  /** Edit on approve applies, but the pretty JSON (`chars` long) does not fit Slack's field. */
  | { offer: 'elsewhere'; chars: number }
  | { offer: 'none'; why: string };

export function slackEditOffer(
  summary: Pick<ApprovalSummary, 'quorum' | 'preview' | 'redacted' | 'escaped' | 'argsChars'>,
  editable?: boolean,
): SlackEditOffer {
  const why = editBlocker(summary, editable);
  if (why) return { offer: 'none', why };
  const chars = summary.argsChars ?? Number.POSITIVE_INFINITY;
  return chars <= EDIT_FIELD_CHARS ? { offer: 'field' } : { offer: 'elsewhere', chars };
}

/** Where a call too long for Slack's field is edited; `approvalPage` links the console's page when there is one. */
export function editElsewhereText(approvalId: string, chars: number, approvalPage: string | undefined): string {
  const where = approvalPage ? `or on <${approvalPage}|its page in the console>` : 'or in the console';
  return (
    `:pencil2: The arguments are ${chars} characters of JSON, more than a Slack field holds (${EDIT_FIELD_CHARS}): ` +
    `to edit them, use \`toolgate approve ${escapeText(approvalId)} --edit\` ${where}.`
  );
}

// An approval's preview in Slack: on the card, its facts and the first part of its output; in the full view
// (the arguments modal), all of it after the arguments, so whoever approves there has read both. The preview
// is an MCP server's text: invisible characters escaped, mrkdwn escaped inside code blocks.
import type { KnownBlock } from '@slack/types';
import type { ApprovalRecord } from '../workflows/contract.ts';
import { clip, cut } from '../workflows/shared/clip.ts';
import { escapeInvisible } from '../workflows/shared/visible-text.ts';
import { codeBlock, escapeText, slackDate } from './text.ts';

/** What the card shows of the preview: CARD_ARGUMENT_CHARS, which reviewReasons measures both against. */
export const CARD_PREVIEW_CHARS = 500;

function heading(preview: NonNullable<ApprovalRecord['preview']>): string {
  const failed = preview.status === 'failed' ? ' :warning: *failed*' : '';
  return `*Preview* \`${escapeText(preview.tool)}\`${failed}, ${slackDate(preview.at)} · digest \`${preview.digest.slice(0, 12)}…\``;
}

export function previewBlocks(approval: ApprovalRecord): KnownBlock[] {
  const { preview } = approval;
  if (!preview) return [];
  // Cut before escaping, so a section never outgrows Slack's 3,000 characters; an escaped or longer preview is
  // not approved from the card (reviewReasons), only from the full view.
  const shown = cut(preview.content, CARD_PREVIEW_CHARS);
  const more = preview.content.length - shown.length;
  const body = escapeInvisible(more > 0 ? `${shown}\n… (${more} more characters: View preview)` : shown || '(empty)');
  return [
    { type: 'section', text: { type: 'mrkdwn', text: heading(preview) } },
    { type: 'section', text: { type: 'mrkdwn', text: codeBlock(clip(body, 2900)) } },
  ];
}

/** Everything the full view pages through: the arguments, then the whole preview. */
export function reviewedText(reviewed: {
  argumentsText: string;
  previewText?: string;
  approval: { preview?: { tool: string; status: string; at: string } };
}): string {
  const { preview } = reviewed.approval;
  if (reviewed.previewText === undefined || !preview) return reviewed.argumentsText;
  return `${reviewed.argumentsText}\n\n--- preview ${preview.tool} (${preview.status}, ${preview.at}) ---\n${reviewed.previewText}`;
}

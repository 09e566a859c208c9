// The modal that shows every argument of an approval before it can be approved from Slack: pretty JSON in
// code blocks of at most 3,000 characters, a page of them at a time (a view holds at most 100 blocks), the
// approval's warnings, and the decision buttons. Approve appears on the last page only: whoever approves
// here has had every argument in front of them.
import type { ViewOutput } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import type { ApprovalSummary } from '../workflows/contract.ts';
import { APPROVE_VIEWED_ACTION, NEXT_PAGE_ACTION, REJECT_VIEWED_ACTION, type ButtonValue } from './actions.ts';
import { warningBlocks } from './card.ts';
import { codeBlock, codeBlockPieces, escapeText } from './text.ts';

export const ARGUMENTS_VIEW = 'toolgate_arguments';
/** Code blocks per page: with the header, warnings and buttons, far below Slack's 100 blocks per view. */
export const PIECES_PER_PAGE = 20;

/** Carried in the view, so its buttons decide the approval it shows and can answer on the card. */
export interface ArgumentsModalState extends ButtonValue {
  responseUrl: string;
  page: number;
}

export function argumentsModal(approval: ApprovalSummary, text: string, state: ArgumentsModalState): View {
  const pieces = codeBlockPieces(text);
  const pages = Math.max(1, Math.ceil(pieces.length / PIECES_PER_PAGE));
  const page = Math.min(state.page, pages - 1);
  const value = JSON.stringify({ approvalId: state.approvalId, argsDigest: state.argsDigest });
  const shown = pieces.slice(page * PIECES_PER_PAGE, (page + 1) * PIECES_PER_PAGE);
  const last = page === pages - 1;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `*${escapeText(`${approval.server}/${approval.tool}`)}* requested by *${escapeText(approval.requester)}* · ` +
          `\`${escapeText(approval.approvalId)}\` · digest \`${approval.argsDigest.slice(0, 12)}…\` · page ${page + 1} of ${pages}`,
      },
    },
    ...warningBlocks(approval),
    ...shown.map((piece): KnownBlock => ({ type: 'section', text: { type: 'mrkdwn', text: codeBlock(piece) } })),
    {
      type: 'actions',
      block_id: 'toolgate_arguments_decision',
      elements: [
        last
          ? {
              type: 'button',
              action_id: APPROVE_VIEWED_ACTION,
              style: 'primary',
              text: { type: 'plain_text', text: 'Approve' },
              value,
            }
          : {
              type: 'button',
              action_id: NEXT_PAGE_ACTION,
              text: { type: 'plain_text', text: `Next page (${page + 2} of ${pages})` },
              value,
            },
        {
          type: 'button',
          action_id: REJECT_VIEWED_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value,
        },
      ],
    },
  ];
  return {
    type: 'modal',
    callback_id: ARGUMENTS_VIEW,
    private_metadata: JSON.stringify({ ...state, page }),
    title: { type: 'plain_text', text: 'Tool call arguments' },
    close: { type: 'plain_text', text: 'Close' },
    blocks,
  };
}

/** The modal after a decision or a refusal: one line, no buttons. */
export function outcomeModal(text: string): View {
  return {
    type: 'modal',
    callback_id: ARGUMENTS_VIEW,
    title: { type: 'plain_text', text: 'Tool call arguments' },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: escapeText(text) } }],
  };
}

export function parseModalState(
  view: Pick<ViewOutput, 'private_metadata'> | undefined,
): ArgumentsModalState | undefined {
  let carried: Partial<ArgumentsModalState> | null;
  try {
    carried = JSON.parse(view?.private_metadata ?? '') as Partial<ArgumentsModalState> | null;
  } catch {
    return undefined;
  }
  if (
    typeof carried?.approvalId !== 'string' ||
    typeof carried.argsDigest !== 'string' ||
    typeof carried.responseUrl !== 'string' ||
    typeof carried.page !== 'number' ||
    !Number.isInteger(carried.page) ||
    carried.page < 0
  )
    return undefined;
  const { approvalId, argsDigest, responseUrl, page, previewDigest } = carried;
  return { approvalId, argsDigest, responseUrl, page, ...(typeof previewDigest === 'string' ? { previewDigest } : {}) };
}

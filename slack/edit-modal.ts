// Edit on approve in Slack: a modal with the approval's complete arguments as pretty JSON in one multiline field
// (only offered where they fit it whole: slack/edit-offer.ts), submitted as an approval with the edited arguments.
import type { ViewOutput } from '@slack/bolt';
import type { KnownBlock, View } from '@slack/types';
import type { ApprovalSummary } from '../workflows/contract.ts';
import type { ButtonValue } from './actions.ts';
import { warningBlocks } from './card.ts';
import { EDIT_FIELD_CHARS } from './edit-offer.ts';
import { escapeText } from './text.ts';
import { clip } from '../workflows/shared/clip.ts';

export const EDIT_VIEW = 'toolgate_edit_approve';
export const EDIT_BLOCK = 'edited_arguments';
const EDIT_INPUT = 'edited_arguments_input';
const TITLE = { type: 'plain_text', text: 'Edit and approve' } as const;

/** Carried through the modal so the submission decides the same approval and can answer the clicker. */
export interface EditModalState extends ButtonValue {
  responseUrl: string;
}

function heading(approval: ApprovalSummary): KnownBlock {
  return {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text:
        `Approve *${escapeText(`${approval.server}/${approval.tool}`)}* (\`${escapeText(approval.approvalId)}\`, ` +
        `requested by *${escapeText(approval.requester)}*) with these arguments instead of the model's. ` +
        `The round checks them against the tool's input schema and policy; the model is told what ran.`,
    },
  };
}

/**
 * The edit form: `text` is the arguments as pretty JSON (or the approver's last submission), whole. `refused`:
 * why the round refused the last submission, shown above the field so it can be fixed.
 */
export function editModal(approval: ApprovalSummary, text: string, state: EditModalState, refused?: string[]): View {
  const refusal: KnownBlock[] = refused?.length
    ? [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: clip(
              `:no_entry: *The round refused this edit:*\n${refused.map((reason) => `• ${escapeText(reason)}`).join('\n')}`,
              3000,
            ),
          },
        },
      ]
    : [];
  return {
    type: 'modal',
    callback_id: EDIT_VIEW,
    private_metadata: JSON.stringify({
      approvalId: state.approvalId,
      argsDigest: state.argsDigest,
      responseUrl: state.responseUrl,
    }),
    title: TITLE,
    submit: { type: 'plain_text', text: 'Approve with edits' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      heading(approval),
      ...warningBlocks(approval),
      ...refusal,
      {
        type: 'input',
        block_id: EDIT_BLOCK,
        label: { type: 'plain_text', text: 'Arguments (JSON): the complete call to run' },
        element: {
          type: 'plain_text_input',
          action_id: EDIT_INPUT,
          multiline: true,
          max_length: EDIT_FIELD_CHARS,
          initial_value: text,
        },
      },
    ],
  };
}

/** A modal with one note and no field: the call cannot be edited here, or what became of the submission. */
export function editNoteModal(mrkdwn: string): View {
  return {
    type: 'modal',
    callback_id: EDIT_VIEW,
    title: TITLE,
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }],
  };
}

export function parseEditSubmission(view: ViewOutput): { state: EditModalState; text: string } | undefined {
  let carried: Partial<EditModalState> | null;
  try {
    carried = JSON.parse(view.private_metadata) as Partial<EditModalState> | null;
  } catch {
    return undefined;
  }
  const text = view.state.values[EDIT_BLOCK]?.[EDIT_INPUT]?.value;
  if (
    typeof carried?.approvalId !== 'string' ||
    typeof carried.argsDigest !== 'string' ||
    typeof carried.responseUrl !== 'string' ||
    typeof text !== 'string'
  )
    return undefined;
  const { approvalId, argsDigest, responseUrl } = carried;
  return { state: { approvalId, argsDigest, responseUrl }, text };
}

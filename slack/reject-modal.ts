// The modal that asks for a reason before a rejection: the reason is what the model is told.
import type { ViewOutput } from '@slack/bolt';
import type { View } from '@slack/types';
import { escapeText } from './text.ts';
import type { ButtonValue } from './actions.ts';
import type { ApprovalSummary } from '../workflows/contract.ts';

export const REJECT_VIEW = 'toolgate_reject_reason';
export const REASON_BLOCK = 'reason';
const REASON_INPUT = 'reason_input';
const REASON_MAX_CHARS = 2000;

/** Carried through the modal so the submission decides the same approval and can answer the clicker. */
export interface RejectSubmission extends ButtonValue {
  responseUrl: string;
  reason: string;
}

export function rejectModal(approval: ApprovalSummary, argsDigest: string, responseUrl: string): View {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify({ approvalId: approval.approvalId, argsDigest, responseUrl }),
    title: { type: 'plain_text', text: 'Reject tool call' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Reject *${escapeText(`${approval.server}/${approval.tool}`)}* (\`${escapeText(approval.approvalId)}\`)?`,
        },
      },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason (the model is told)' },
        element: { type: 'plain_text_input', action_id: REASON_INPUT, multiline: true, max_length: REASON_MAX_CHARS },
      },
    ],
  };
}

export function parseRejectSubmission(view: ViewOutput): RejectSubmission | undefined {
  let carried: Partial<RejectSubmission> | null;
  try {
    carried = JSON.parse(view.private_metadata) as Partial<RejectSubmission> | null;
  } catch {
    return undefined;
  }
  const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value;
  if (
    typeof carried?.approvalId !== 'string' ||
    typeof carried.argsDigest !== 'string' ||
    typeof carried.responseUrl !== 'string'
  )
    return undefined;
  if (typeof reason !== 'string' || reason.trim() === '') return undefined;
  return {
    approvalId: carried.approvalId,
    argsDigest: carried.argsDigest,
    responseUrl: carried.responseUrl,
    reason: reason.slice(0, REASON_MAX_CHARS),
  };
}

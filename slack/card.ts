// The Block Kit card of one approval, as it is now: pending with Approve / Reject buttons (View all arguments
// instead of Approve when the card cannot show every argument as it runs), or closed with its outcome.
import type { KnownBlock } from '@slack/types';
import type { ApprovalRecord, ApprovalStatus, ApprovalSummary } from '../workflows/contract.ts';
import {
  APPROVE_ACTION,
  APPROVE_REMEMBER_ACTION,
  EDIT_ACTION,
  REJECT_ACTION,
  VIEW_ARGUMENTS_ACTION,
  VIEW_PREVIEW_ACTION,
  buttonValue,
} from './actions.ts';
import { editElsewhereText, slackEditOffer, type SlackEditOffer } from './edit-offer.ts';
import { durationText } from '../workflows/shared/duration-text.ts';
import { argumentsBlock, escapeText, slackDate } from './text.ts';
import { clip } from '../workflows/shared/clip.ts';
import { reviewReasons } from '../workflows/shared/approval-summary.ts';
import { quorumDecided, quorumNeeded, quorumRule } from '../workflows/shared/quorum-text.ts';
import { reminderLines } from '../workflows/shared/reminder-text.ts';
import { policyTrailText } from '../workflows/shared/policy-trail-text.ts';
import { previewBlocks } from './preview-blocks.ts';

/** What the card shows of the arguments; more, and its Approve button gives way to View all arguments. */
export const CARD_ARGUMENT_CHARS = 500;
const REASON_CHARS = 1000;
const HEADER_CHARS = 150;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

const TITLES = {
  pending: 'Approval needed',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
} as const;

function outcome(approval: ApprovalRecord, status: Exclude<ApprovalStatus, 'pending'>): string {
  const when = slackDate(approval.decision?.decidedAt ?? approval.closedAt ?? approval.expiresAt);
  const decision = approval.decision;
  const by = decision ? ` by *${escapeText(decision.approver.id)}* via ${decision.approver.channel}` : '';
  switch (status) {
    case 'approved':
      return decision?.editedArguments
        ? `:white_check_mark: *Approved with changes*${by}, ${when}`
        : `:white_check_mark: *Approved*${by}, ${when}`;
    case 'rejected':
      return `:x: *Rejected*${by}, ${when}\n*Reason:* ${escapeText(clip(decision?.reason?.trim() || 'no reason given', REASON_CHARS))}`;
    case 'expired':
      return `:hourglass: *Expired* ${when} without a decision; the tool was not run.`;
    case 'cancelled':
      return `:no_entry_sign: *Cancelled* ${when}: the round was cancelled; the tool was not run.`;
  }
}

/**
 * Approve and remember, where the tool allows grants and one click may approve: the confirmation says what the
 * grant will let run without asking.
 */
function rememberButtons(approval: ApprovalRecord, value: string, rememberTtlMs: number | undefined) {
  if (!approval.rememberable || rememberTtlMs === undefined) return [];
  const ttl = durationText(rememberTtlMs);
  return [
    {
      type: 'button' as const,
      action_id: APPROVE_REMEMBER_ACTION,
      text: { type: 'plain_text' as const, text: `Approve and remember (${ttl})` },
      value,
      confirm: {
        title: { type: 'plain_text' as const, text: 'Approve and remember?' },
        text: {
          type: 'mrkdwn' as const,
          text: escapeText(
            `For ${ttl}, ${approval.requester}'s calls of ${approval.server}/${approval.tool} with exactly these arguments run without asking anyone. Revoke it with toolgate grants revoke.`,
          ),
        },
        confirm: { type: 'plain_text' as const, text: 'Approve and remember' },
        deny: { type: 'plain_text' as const, text: 'Cancel' },
      },
    },
  ];
}

/** Buttons while the approval is pending (Edit and approve where `edit`); afterwards, what became of it. */
function statusBlock(approval: ApprovalRecord, edit: boolean, rememberTtlMs?: number): KnownBlock {
  if (approval.status !== 'pending')
    return { type: 'section', text: { type: 'mrkdwn', text: outcome(approval, approval.status) } };
  const value = buttonValue(approval);
  const oneClick = reviewReasons(approval, CARD_ARGUMENT_CHARS).length === 0;
  return {
    type: 'actions',
    block_id: 'toolgate_decision',
    elements: [
      oneClick
        ? {
            type: 'button',
            action_id: APPROVE_ACTION,
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value,
          }
        : {
            type: 'button',
            action_id: VIEW_ARGUMENTS_ACTION,
            style: 'primary',
            text: { type: 'plain_text', text: 'View all arguments' },
            value,
          },
      ...(oneClick ? rememberButtons(approval, value, rememberTtlMs) : []),
      ...(edit
        ? [
            {
              type: 'button' as const,
              action_id: EDIT_ACTION,
              text: { type: 'plain_text' as const, text: 'Edit and approve' },
              value,
            },
          ]
        : []),
      {
        type: 'button',
        action_id: REJECT_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject' },
        value,
      },
      ...(approval.preview
        ? [
            {
              type: 'button' as const,
              action_id: VIEW_PREVIEW_ACTION,
              text: { type: 'plain_text' as const, text: 'View preview' },
              value,
            },
          ]
        : []),
    ],
  };
}

/** What the approver must know before deciding: secrets hidden, undeclared keys, escaped characters. */
export function warningBlocks(approval: ApprovalSummary): KnownBlock[] {
  const warnings = reviewReasons(approval, Infinity);
  if (warnings.length === 0) return [];
  const text = warnings.map((warning) => `:warning: ${escapeText(clip(warning, 600))}`).join('\n');
  return [{ type: 'section', text: { type: 'mrkdwn', text: clip(text, 3000) } }];
}

/** A quorum approval: what it requires, who has decided and what is still needed (as the card was last drawn). */
function quorumBlocks(approval: ApprovalRecord): KnownBlock[] {
  const { quorum } = approval;
  if (!quorum) return [];
  const text = [
    `*Quorum* ${quorumRule(quorum)}${quorum.rejectWith === 'quorum' ? ' (rejected only when it can no longer be met)' : ''}`,
    `*Decided* ${quorumDecided(quorum)}`,
    `*Still needed* ${quorumNeeded(quorum)}`,
  ].join('\n');
  return [{ type: 'section', text: { type: 'mrkdwn', text: escapeText(clip(text, 3000)) } }];
}

/** Reminders, escalation and extension so far: `Reminded at …`, `Escalated to dba (dave) at …`, and what is next. */
function reminderBlocks(approval: ApprovalRecord): KnownBlock[] {
  const lines = reminderLines(approval.reminders, slackDate, escapeText);
  if (lines.length === 0) return [];
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: clip(lines.join('\n'), 3000) }] }];
}

/** A policy re-check changed or noted something: on which configuration, and what. */
function policyBlocks(approval: ApprovalRecord): KnownBlock[] {
  const text = approval.policy?.recheckedOn ? policyTrailText(approval.policy) : undefined;
  if (!text) return [];
  return [{ type: 'section', text: { type: 'mrkdwn', text: `*Policy* ${escapeText(clip(text, 2000))}` } }];
}

/** Approved with changes: the arguments that ran instead of the model's, as far as the card shows arguments. */
function editedBlocks(approval: ApprovalRecord): KnownBlock[] {
  const edited = approval.decision?.editedArguments;
  if (approval.status !== 'approved' || !edited) return [];
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Ran with the approver's arguments*\n${argumentsBlock(edited, CARD_ARGUMENT_CHARS)}`,
      },
    },
  ];
}

/** Edit on approve on a pending card: a button where Slack's field holds the arguments, else where to edit them. */
export interface CardEditing {
  /** The tool's `editable` as the worker's config says; absent: not known here (the round checks it). */
  editable?: boolean;
  /** The approval's page in the console, when the console runs at a known address. */
  approvalPage?: string;
  /** The TTL of Approve and remember (approvals.grants.defaultTtl); without it, no such button. */
  rememberTtlMs?: number;
}

function editNoteBlocks(approval: ApprovalRecord, offer: SlackEditOffer, editing: CardEditing): KnownBlock[] {
  if (approval.status !== 'pending' || offer.offer !== 'elsewhere') return [];
  const text = editElsewhereText(approval.approvalId, offer.chars, editing.approvalPage);
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text }] }];
}

export function approvalCard(approval: ApprovalRecord, webUiLink: string, editing: CardEditing = {}): SlackMessage {
  const title = TITLES[approval.status];
  const offer = slackEditOffer(approval, editing.editable);
  const target = `${approval.server}/${approval.tool}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${title}: ${approval.tool}`, HEADER_CHARS) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Tool*\n${escapeText(target)}` },
        { type: 'mrkdwn', text: `*Requested by*\n${escapeText(approval.requester)}` },
        { type: 'mrkdwn', text: `*Step*\n${approval.step}` },
        { type: 'mrkdwn', text: `*Expires*\n${slackDate(approval.expiresAt)}` },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Arguments*\n${argumentsBlock(approval.arguments, CARD_ARGUMENT_CHARS)}` },
    },
    ...warningBlocks(approval),
    ...quorumBlocks(approval),
    ...reminderBlocks(approval),
    ...policyBlocks(approval),
    ...previewBlocks(approval),
    statusBlock(approval, offer.offer === 'field', editing.rememberTtlMs),
    ...editNoteBlocks(approval, offer, editing),
    ...editedBlocks(approval),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approval \`${escapeText(approval.approvalId)}\` · <${webUiLink}|Open the round in Temporal Web UI>`,
        },
      ],
    },
  ];
  return { text: escapeText(`${title}: ${target} requested by ${approval.requester}`), blocks };
}

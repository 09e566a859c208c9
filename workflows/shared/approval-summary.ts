import type { ApprovalRecord, ApprovalSummary } from '../contract.ts';
import { previewReasons, previewSummary } from './preview-text.ts';

/** What lists, memos and events show of an approval: no full arguments, only the redacted preview. */
export function approvalSummary(record: ApprovalRecord): ApprovalSummary {
  const {
    approvalId,
    roundId,
    step,
    server,
    tool,
    argsPreview,
    argsDigest,
    redacted,
    unknownKeys,
    escaped,
    argsChars,
    requester,
    approvers,
    allowSelfApproval,
    quorum,
    reminders,
    policy,
    preview,
    previewDigest,
    rememberable,
    openedAt,
    expiresAt,
  } = record;
  return {
    approvalId,
    roundId,
    step,
    server,
    tool,
    argsPreview,
    argsDigest,
    ...(argsChars === undefined ? {} : { redacted, unknownKeys, escaped, argsChars }),
    requester,
    approvers,
    allowSelfApproval,
    ...(quorum === undefined ? {} : { quorum }),
    ...(reminders === undefined ? {} : { reminders }),
    ...(policy === undefined ? {} : { policy }),
    ...(preview === undefined ? {} : { preview: previewSummary(preview), previewDigest }),
    ...(rememberable === undefined ? {} : { rememberable }),
    openedAt,
    expiresAt,
  };
}

/**
 * Why one click (a Slack Approve button, `toolgate approve --yes`) may not approve: something the channel
 * shows is not the whole truth. Empty when the channel showed every argument as it runs.
 */
export function reviewReasons(summary: ApprovalSummary, shownChars: number): string[] {
  if (summary.argsChars === undefined) return ['the round predates the full argument view'];
  return [
    ...(summary.argsChars > shownChars ? [`the arguments are ${summary.argsChars} characters, more than shown`] : []),
    ...(summary.redacted?.length ? [`redacted: ${summary.redacted.join(', ')}`] : []),
    ...(summary.escaped ? ['control, bidi or zero-width characters are shown escaped'] : []),
    ...(summary.unknownKeys?.length ? [`keys the tool does not declare: ${summary.unknownKeys.join(', ')}`] : []),
    ...previewReasons(summary, shownChars),
  ];
}

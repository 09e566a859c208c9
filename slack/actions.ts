// What an approval card's buttons carry: the card (activities/) writes it, the API's Slack handlers read it.
export const APPROVE_ACTION = 'toolgate_approve';
export const REJECT_ACTION = 'toolgate_reject';
/** Approve, and remember it as a grant for the default TTL (approvals.grants.defaultTtl). */
export const APPROVE_REMEMBER_ACTION = 'toolgate_approve_remember';
/** On the card: opens every argument in a modal. In the modal: the next page, and the decisions. */
export const VIEW_ARGUMENTS_ACTION = 'toolgate_view_arguments';
export const NEXT_PAGE_ACTION = 'toolgate_arguments_next_page';
export const APPROVE_VIEWED_ACTION = 'toolgate_approve_viewed';
export const REJECT_VIEWED_ACTION = 'toolgate_reject_viewed';
/** On the card of an approval with a preview: the same full view, arguments and then the whole preview. */
export const VIEW_PREVIEW_ACTION = 'toolgate_view_preview';
/** On the card: opens the arguments as editable JSON (edit on approve). */
export const EDIT_ACTION = 'toolgate_edit_approve';

export interface ButtonValue {
  approvalId: string;
  /** Decisions carry it, so a click can never approve other arguments than the card showed. */
  argsDigest: string;
  /** The approval's preview digest, when it has a preview: an approval covers the preview the card showed. */
  previewDigest?: string;
}

export function buttonValue(value: ButtonValue): string {
  return JSON.stringify({
    approvalId: value.approvalId,
    argsDigest: value.argsDigest,
    previewDigest: value.previewDigest,
  });
}

export function parseButtonValue(text: string | undefined): ButtonValue | undefined {
  let value: Partial<ButtonValue> | null;
  try {
    value = JSON.parse(text ?? '') as Partial<ButtonValue> | null;
  } catch {
    return undefined;
  }
  if (typeof value?.approvalId !== 'string' || typeof value.argsDigest !== 'string') return undefined;
  const previewDigest = typeof value.previewDigest === 'string' ? { previewDigest: value.previewDigest } : {};
  return { approvalId: value.approvalId, argsDigest: value.argsDigest, ...previewDigest };
}

import type { ApprovalSummary } from '../contract.ts';

/**
 * Why no client offers to edit this approval's arguments (the console's form, Slack's Edit and approve), or
 * undefined when one may. The round refuses an edit of a quorum or previewed approval, of redacted values and,
 * per the tool's policy, any edit; text with escaped invisible characters would be sent back changed. A client
 * that knows the tool's `editable` passes it; the round checks it again either way.
 */
export function editBlocker(
  summary: Pick<ApprovalSummary, 'quorum' | 'preview' | 'redacted' | 'escaped' | 'argsChars'>,
  editable?: boolean,
): string | undefined {
  if (editable === false) return "the tool's policy says editable: false";
  if (summary.quorum) return 'a quorum approval cannot be edited';
  if (summary.preview)
    return "its preview shows what the model's arguments would change, and an edit was never previewed";
  if (summary.redacted?.length) return `its arguments hold redacted values (${summary.redacted.join(', ')})`;
  if (summary.escaped) return 'its arguments hold control, bidi or zero-width characters, shown escaped';
  if (summary.argsChars === undefined) return 'the round predates the full argument view';
  return undefined;
}

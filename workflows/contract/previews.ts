// Previews: a read-only tool of the same server that runs before an approval opens (`apply_manifest` previewed by
// `diff_manifest`), its output shown to the approver and bound into what they approve by its digest.
import { z } from 'zod';

export const PreviewStatus = z.enum(['ok', 'failed']);
export type PreviewStatus = z.infer<typeof PreviewStatus>;

/** What lists, the memo, events and the audit trail show of a preview: no content, only its facts and digest. */
export const PreviewSummary = z.object({
  /** The preview tool, on the gated tool's server. */
  tool: z.string(),
  /** `failed`: the tool answered with an error, did not answer, or could not run; the content says why. */
  status: PreviewStatus,
  /** When the preview ran: an approval covers the change as previewed then. */
  at: z.string(),
  /** SHA-256 (hex) of the canonical JSON of tool, status, content, truncated and at (workflows/preview-digest.ts). */
  digest: z.string(),
  /** Length of the content: a channel that shows less may not approve in one click. */
  chars: z.number(),
  /** The tool's output was longer than round.toolOutputChars and was cut (as a tool result is). */
  truncated: z.boolean(),
  /** The content holds control, bidi or zero-width characters: every view shows them escaped (`\u202e`). */
  escaped: z.boolean(),
});
export type PreviewSummary = z.infer<typeof PreviewSummary>;

/** The preview as the round keeps it and GET /v1/approvals/{id} shows it: with its full (bounded) content. */
export const ApprovalPreview = PreviewSummary.extend({
  /** The tool's output, or the error text when it failed. Text from an MCP server: escape it wherever people read it. */
  content: z.string(),
});
export type ApprovalPreview = z.infer<typeof ApprovalPreview>;

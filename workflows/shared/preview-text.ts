// A preview for people and for digests, the same in the round, the API and every channel: its digest, its summary
// (no content) and what a channel that shows only part of it must say.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';
import type { ApprovalPreview, ApprovalSummary, PreviewSummary } from '../contract.ts';

/** SHA-256 (hex) of the canonical JSON of everything the approver is shown of a preview. */
export function previewDigest(preview: Omit<ApprovalPreview, 'digest' | 'chars' | 'escaped'>): string {
  const { tool, status, content, truncated, at } = preview;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson({ tool, status, content, truncated, at }))));
}

export function previewSummary(preview: ApprovalPreview): PreviewSummary {
  const { tool, status, at, digest, chars, truncated, escaped } = preview;
  return { tool, status, at, digest, chars, truncated, escaped };
}

/** Why a channel that shows `shownChars` of the preview may not approve in one click. */
export function previewReasons(summary: ApprovalSummary, shownChars: number): string[] {
  const { preview } = summary;
  if (!preview) return [];
  return [
    ...(preview.chars > shownChars ? [`the preview is ${preview.chars} characters, more than shown`] : []),
    ...(preview.escaped ? ['the preview holds control, bidi or zero-width characters, shown escaped'] : []),
  ];
}

/** `preview diff_note: ok at 2026-…Z, 120 characters, digest 3f2a…` (the tool's name is the operator's config). */
export function previewLine(preview: PreviewSummary): string {
  const cut = preview.truncated ? ', cut to the output budget' : '';
  return `preview ${preview.tool}: ${preview.status} at ${preview.at}, ${preview.chars} characters${cut}, digest ${preview.digest}`;
}

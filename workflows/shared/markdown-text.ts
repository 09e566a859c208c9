// Temporal Web UI renders a workflow's summary and details as Markdown: text from a request (the query) or a
// principal id must show as itself, never as a link, an image, HTML or a heading someone else wrote.
import { escapeInvisible } from './visible-text.ts';

/** CommonMark lets every ASCII punctuation character be escaped with a backslash, and then shows it as is. */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * `text` as literal Markdown on one line: punctuation escaped, line breaks as spaces, invisible characters
 * as `\uXXXX`; at most `max` characters (the last one `…` when cut), never cutting an escape in two.
 */
export function markdownText(text: string, max = Infinity): string {
  const pieces = [...escapeInvisible(text.replace(/[\r\n]+/g, ' '))].map((char) => char.replace(PUNCTUATION, '\\$&'));
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  let kept = '';
  for (const piece of pieces) {
    if (kept.length + piece.length > max - 1) break;
    kept += piece;
  }
  return `${kept}…`;
}

/**
 * A principal or round id as Web UI may show it: letters, digits, `_`, `.` and `-`, any other character `_`;
 * `_` escaped, so that `_name_` is not emphasis.
 */
export function markdownName(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/_/g, '\\_');
}

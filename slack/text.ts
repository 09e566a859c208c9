// Text for Slack mrkdwn: escaping, dates that render in the reader's time zone, and tool arguments shown
// safely (already redacted by the round, invisible characters escaped, the code block never broken open).
import { cut } from '../workflows/shared/clip.ts';
import { argumentsText } from '../workflows/shared/visible-text.ts';

/** Slack reads &, < and > as control characters (links, mentions) everywhere, code blocks included. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A code block; a run of backticks in a value would close it, so adjacent ones are split. */
export function codeBlock(text: string): string {
  return `\`\`\`${escapeText(text).replace(/`(?=`)/g, '`\u200b')}\`\`\``;
}

/** Pretty JSON in a code block, at most `maxChars` of it. */
export function argumentsBlock(args: Record<string, unknown>, maxChars: number): string {
  const { text } = argumentsText(args);
  const shown = cut(text, maxChars);
  const more = text.length - shown.length;
  return codeBlock(more > 0 ? `${shown}\n… (${more} more characters not shown)` : shown);
}

/** Slack refuses a section's text over 3,000 characters: the most characters of `text` whose code block fits. */
const SECTION_CHARS = 3000;

/** `text` in pieces whose code blocks each fit one section (escaping and split backticks count). */
export function codeBlockPieces(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + SECTION_CHARS);
    while (codeBlock(cut(text.slice(start), end - start)).length > SECTION_CHARS) end -= 100;
    const piece = cut(text.slice(start), end - start);
    pieces.push(piece);
    start += piece.length;
  }
  return pieces;
}

/** `<!date^…>` renders in the reader's time zone; the fallback is shown where Slack cannot format it. */
export function slackDate(iso: string): string {
  const date = new Date(iso);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

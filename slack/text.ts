// Text for Slack mrkdwn: escaping, dates that render in the reader's time zone, and tool arguments shown
// safely (secrets redacted, length bounded, the code block never broken open).
import { cut } from '../workflows/shared/clip.ts';
import { redactSecrets } from '../workflows/shared/redaction.ts';

/** Slack reads &, < and > as control characters (links, mentions) everywhere, code blocks included. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Pretty JSON in a code block. A run of backticks in a value would close the block, so adjacent ones are split. */
export function argumentsBlock(args: Record<string, unknown>, maxChars: number): string {
  const pretty = JSON.stringify(redactSecrets(args), null, 2);
  const shown = cut(pretty, maxChars);
  const more = pretty.length - shown.length;
  const body = more > 0 ? `${shown}\n… (${more} more characters not shown)` : shown;
  return `\`\`\`${escapeText(body).replace(/`(?=`)/g, '`\u200b')}\`\`\``;
}

/** `<!date^…>` renders in the reader's time zone; the fallback is shown where Slack cannot format it. */
export function slackDate(iso: string): string {
  const date = new Date(iso);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${fallback}>`;
}

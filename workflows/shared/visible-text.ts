// Tool arguments are hostile text: control, bidirectional and zero-width characters can reorder or hide what
// a person reads (`rm -rf /‮txt.gol`). Every view of arguments for people (HTTP, Slack, CLI, memo and events
// in Temporal Web UI) shows them as `\uXXXX` escapes instead, which JSON reads back as the same characters.

/** C0 but the line feed, DEL, C1, ALM, LRM/RLM, zero-width, line/paragraph separators, bidi embeddings and isolates, BOM. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const INVISIBLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g;

export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The full arguments as people read them: pretty JSON, invisible characters escaped, and whether any were. */
export function argumentsText(args: Record<string, unknown>): { text: string; escaped: boolean } {
  const pretty = JSON.stringify(args, null, 2);
  const text = escapeInvisible(pretty);
  return { text, escaped: text !== pretty };
}

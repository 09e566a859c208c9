export interface TruncatedText {
  text: string;
  truncated: boolean;
  originalLength: number;
}

function marker(kept: number, total: number): string {
  return `\n[OUTPUT TRUNCATED: showing the first ${kept} of ${total} characters. Ask for a more specific result.]`;
}

/** Cuts at the last newline within the budget and says so, so the model knows it saw only a part. */
export function truncateOutput(text: string, budget: number): TruncatedText {
  if (text.length <= budget) return { text, truncated: false, originalLength: text.length };
  // The total has at least as many digits as any kept length, so this marker is the longest possible.
  const room = Math.max(0, budget - marker(text.length, text.length).length);
  const lastNewline = text.lastIndexOf('\n', room);
  const cut = lastNewline > room / 2 ? lastNewline : room;
  return { text: text.slice(0, cut) + marker(cut, text.length), truncated: true, originalLength: text.length };
}

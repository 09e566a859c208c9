// How the Temporal CLI spells search attribute types: apart from runtime/search-attributes.ts so that starting a
// dev server with them (scripts/dev-server.ts) does not load the Temporal client.

/** "KEYWORD_LIST" → "KeywordList", as the Temporal CLI spells types (`--search-attribute Name=KeywordList`). */
export function cliTypeName(type: string): string {
  return type.toLowerCase().replace(/(?:^|_)([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

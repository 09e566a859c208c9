// Names chosen outside toolgate (MCP server and tool names) reach Temporal Web UI as activity and timer summaries
// and as the round's current details, which the UI renders as Markdown: a tool named `[docs](https://evil)` would
// show a link. Only `[A-Za-z0-9_.-]` passes; every other character (one UTF-16 unit at a time) becomes `_`.

/** The name as shown in summaries and details: every character outside `[A-Za-z0-9_.-]` replaced by `_`. */
export function displayName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** `server/tool` for summaries and details, each part restricted as displayName does. */
export function displayTool(server: string, tool: string): string {
  return `${displayName(server)}/${displayName(tool)}`;
}

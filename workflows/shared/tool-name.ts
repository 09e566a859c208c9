// Tool names as clients see them: the model (qualified only when two servers share a name) and MCP gateway
// clients (always qualified). One function, so a gateway name resolves in a round's tool directory.
const MAX_NAME_LENGTH = 64;

/** A name an LLM API and an MCP client accept: letters, digits, `_` and `-`, at most 64 characters. */
export function sanitizeToolName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_NAME_LENGTH);
}

/** `server__tool`, sanitised: the name the gateway offers, and the qualified name a round resolves. */
export function qualifiedToolName(server: string, tool: string): string {
  return sanitizeToolName(`${server}__${tool}`);
}

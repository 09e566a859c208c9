// A tool's fingerprint: what an approver's grant was made for. A new input schema, new annotations, another
// resolved policy or a reconfigured server (command, URL, settings) is a different tool, and its grants lapse.
import { argsDigest } from '../workflows/shared/digest.ts';
import type { ToolAnnotations, ToolPolicy } from '../workflows/contract.ts';
import type { ServerConfig } from '../runtime/config.ts';

/** The server's settings without secret values: header and environment values count by name only. */
function serverSettings(server: ServerConfig): Record<string, unknown> {
  if (server.transport === 'http') return { ...server, headers: Object.keys(server.headers).sort() };
  return { ...server, env: Object.keys(server.env).sort() };
}

export function toolFingerprint(
  server: ServerConfig,
  tool: { inputSchema: Record<string, unknown>; annotations: ToolAnnotations },
  policy: ToolPolicy,
): string {
  return argsDigest({
    inputSchema: tool.inputSchema,
    annotations: tool.annotations,
    policy,
    server: serverSettings(server),
  });
}

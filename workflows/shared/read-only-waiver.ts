// Whether a tool's annotations waive its approval: the round's gate (workflows/policy.ts) and the gateway's
// listing (api/gateway-visibility.ts) ask the same question.
import type { ToolDescriptor } from '../contract.ts';

/** Annotations count only when the server is trusted; an untrusted server's hints are treated as absent. */
export function trustedHint(tool: ToolDescriptor, hint: 'readOnlyHint' | 'idempotentHint'): boolean {
  return tool.policy.trusted && tool.annotations[hint] === true;
}

/**
 * A read-only tool that may reach the open world (MCP's default when `openWorldHint` is absent) can carry data the
 * round read elsewhere out in its arguments (a fetch, a search), so only the operator's `openWorld: trust` or the
 * server's explicit `openWorldHint: false` lets read-only waive approval.
 */
export function waivedAsReadOnly(tool: ToolDescriptor, closed: boolean): boolean {
  if (!trustedHint(tool, 'readOnlyHint')) return false;
  return !closed || tool.policy.openWorld === 'trust' || tool.annotations.openWorldHint === false;
}

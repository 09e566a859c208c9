// Whether the preview a tool's policy names can run: a tool of the same server that only reads. A preview runs
// before anyone approved anything, with arguments the model wrote, so one that might write is never run.
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolPolicy } from '../workflows/contract.ts';
import type { ServerConfig } from '../runtime/config.ts';

/**
 * Why the preview named for `toolName` will not run, or undefined when it may. Read-only means one rule: the
 * server is `trusted` and the preview tool says `readOnlyHint: true`, or the operator vouches with `readOnly: true`
 * on the preview entry (an untrusted server's hints count for nothing, as everywhere else).
 */
export function previewProblem(server: ServerConfig, toolName: string, tools: readonly Tool[]): string | undefined {
  const preview = Object.hasOwn(server.tools, toolName) ? server.tools[toolName]?.preview : undefined;
  if (!preview) return undefined;
  const found = tools.find((tool) => tool.name === preview.tool);
  if (!found) return `preview tool '${preview.tool}' is not offered by server '${server.name}'`;
  if (preview.readOnly === true) return undefined;
  if (!server.trusted)
    return `preview tool '${preview.tool}' is not known to be read-only: server '${server.name}' is not trusted (set readOnly: true on the preview to vouch for it)`;
  if (found.annotations?.readOnlyHint !== true)
    return `preview tool '${preview.tool}' is not read-only: it does not say readOnlyHint: true (set readOnly: true on the preview to vouch for it)`;
  return undefined;
}

/** The policy with its preview marked unavailable and why: the tool stays gated, its approvals say the preview failed. */
export function withPreviewProblem(policy: ToolPolicy, problem: string | undefined): ToolPolicy {
  if (!problem || !policy.preview) return policy;
  return { ...policy, preview: { ...policy.preview, unavailable: problem } };
}

// The names the model sees, and the way a model-supplied name is resolved back to one server's tool.
import type { LlmToolCall, LlmToolDefinition, ToolDescriptor } from './contract.ts';
import { MAX_ARGUMENT_DEPTH, nestsDeeperThan } from './shared/nesting.ts';
import { qualifiedToolName, sanitizeToolName as sanitize } from './shared/tool-name.ts';

export interface ToolDirectory {
  definitions: LlmToolDefinition[];
  byName: Map<string, ToolDescriptor>;
  /** Bare names offered by more than one server, with the qualified names to use instead. */
  ambiguous: Map<string, string[]>;
}

/** Unique tool names stay bare; a name two servers share is offered as `server__name` for each. */
export function buildToolDirectory(tools: ToolDescriptor[]): ToolDirectory {
  const counts = new Map<string, number>();
  for (const tool of tools) counts.set(sanitize(tool.name), (counts.get(sanitize(tool.name)) ?? 0) + 1);
  const byName = new Map<string, ToolDescriptor>();
  const ambiguous = new Map<string, string[]>();
  const definitions: LlmToolDefinition[] = [];
  for (const tool of tools) {
    const bare = sanitize(tool.name);
    const qualified = qualifiedToolName(tool.server, tool.name);
    const exposed = counts.get(bare) === 1 ? bare : qualified;
    if (byName.has(exposed)) continue;
    byName.set(exposed, tool);
    if (!byName.has(qualified)) byName.set(qualified, tool);
    if (exposed !== bare) ambiguous.set(bare, [...(ambiguous.get(bare) ?? []), exposed]);
    definitions.push({ name: exposed, description: tool.description, parameters: tool.inputSchema });
  }
  return { definitions, byName, ambiguous };
}

export type ResolvedCall =
  { ok: true; tool: ToolDescriptor; args: Record<string, unknown> } | { ok: false; error: string };

export function resolveToolCall(directory: ToolDirectory, call: LlmToolCall): ResolvedCall {
  const name = call.name.trim();
  if (!name) return { ok: false, error: 'Tool call has no tool name.' };
  const choices = directory.ambiguous.get(name);
  if (choices) {
    return { ok: false, error: `Tool name '${name}' is ambiguous: use one of ${choices.join(', ')}.` };
  }
  const tool = directory.byName.get(name);
  if (!tool) return { ok: false, error: `Tool '${name}' is not available.` };
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return { ok: false, error: `Arguments for tool '${name}' are not valid JSON.` };
  }
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return { ok: false, error: `Arguments for tool '${name}' must be a JSON object.` };
  }
  if (nestsDeeperThan(args, MAX_ARGUMENT_DEPTH)) {
    return { ok: false, error: `Arguments for tool '${name}' nest deeper than ${MAX_ARGUMENT_DEPTH} levels.` };
  }
  return { ok: true, tool, args: args as Record<string, unknown> };
}

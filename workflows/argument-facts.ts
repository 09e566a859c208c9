// What the approval and the call's record show of a call's arguments, computed where the round decides them.
import { canonicalJson } from './canonical-json.ts';
import type { ToolDescriptor } from './contract.ts';
import { clip } from './shared/clip.ts';
import { redactArguments, unknownKeys } from './shared/redaction.ts';
import { argumentsText, escapeInvisible } from './shared/visible-text.ts';

const ARGS_PREVIEW_CHARS = 300;
/** Paths listed on an approval: the memo holds every pending approval's summary within Temporal's memo limit. */
const MAX_PATHS = 20;
const PATH_CHARS = 120;

/** Paths as people read them (keys are the model's text), at most MAX_PATHS of them and a count of the rest. */
function listed(paths: string[]): string[] {
  const shown = paths.slice(0, MAX_PATHS).map((path) => clip(escapeInvisible(path), PATH_CHARS));
  return paths.length > MAX_PATHS ? [...shown, `…and ${paths.length - MAX_PATHS} more`] : shown;
}

/**
 * Since this patch, the approval and the call's record hold the arguments as every view shows them (secrets
 * by exact rule redacted) with what an approver must know besides: redacted paths, undeclared keys, escaped
 * characters, the full view's length. Rounds started before it keep the raw arguments there (replay).
 */
export const FULL_ARGUMENTS_PATCH = 'full-arguments-view';

/** The arguments as people may see them, and what the approval says about them. */
export function argumentsFacts(tool: ToolDescriptor, args: Record<string, unknown>) {
  const { view, redacted } = redactArguments(args, tool.inputSchema, tool.policy.redact);
  const { text, escaped } = argumentsText(view);
  return {
    arguments: view,
    argsPreview: clip(escapeInvisible(canonicalJson(view)), ARGS_PREVIEW_CHARS),
    redacted: listed(redacted),
    unknownKeys: listed(unknownKeys(args, tool.inputSchema)),
    escaped,
    argsChars: text.length,
  };
}

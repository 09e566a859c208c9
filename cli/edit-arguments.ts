// `approve --arguments @file.json|<json>` and `approve --edit`: the edited call an approver sends instead of the
// model's (edit on approve). The edit is read whole, shown as what changes, and confirmed like any approval.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgumentsJson } from '../runtime/arguments-json.ts';
import { canonicalJson } from '../workflows/shared/digest.ts';
import { escapeControls } from './terminal-text.ts';

export class EditError extends Error {}

/** The edited arguments from JSON text: an object, or an error that names where the text is wrong. */
export function parseEditedArguments(text: string, source: string): Record<string, unknown> {
  const parsed = parseArgumentsJson(text);
  if (parsed.ok) return parsed.arguments;
  if (parsed.problem === 'syntax')
    throw new EditError(
      `${source} is not valid JSON at line ${parsed.line}, column ${parsed.column}: ${parsed.message}`,
    );
  throw new EditError(`${source} must hold a JSON object: the tool call's complete arguments`);
}

/** `--arguments`: `@path` reads a file, anything else is the JSON itself. */
export function readArgumentsOption(raw: string): Record<string, unknown> {
  if (!raw.startsWith('@')) return parseEditedArguments(raw, '--arguments');
  const path = raw.slice(1);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EditError(`--arguments ${raw}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  return parseEditedArguments(text, path);
}

/**
 * `--edit`: the current arguments as pretty JSON in a temporary file, opened in $VISUAL or $EDITOR (a command
 * line, run by the shell), read back when the editor exits. Undefined when nothing changed: a plain approval.
 */
export function editInEditor(
  current: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, unknown> | undefined {
  const editor = env.VISUAL || env.EDITOR;
  if (!editor) throw new EditError('--edit needs $VISUAL or $EDITOR (e.g. EDITOR=vi)');
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-edit-'));
  const file = join(folder, 'arguments.json');
  try {
    writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
    const ran = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' });
    if (ran.status !== 0) throw new EditError(`the editor (${editor}) exited with ${ran.status ?? ran.signal}`);
    const edited = parseEditedArguments(readFileSync(file, 'utf8'), 'the edited file');
    return canonicalJson(edited) === canonicalJson(current) ? undefined : edited;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function leaves(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value))
      leaves(item, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key, out);
    return;
  }
  out.set(path, escapeControls(JSON.stringify(value)));
}

/** What the edit changes, one line per value: `~ replicas: 30 → 3`, `+ dryRun: true`, `- force: true`. */
export function editSummary(original: Record<string, unknown>, edited: Record<string, unknown>): string {
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  leaves(original, '', before);
  leaves(edited, '', after);
  const lines: string[] = [];
  for (const [path, value] of after) {
    const old = before.get(path);
    if (old === undefined) lines.push(`+ ${escapeControls(path)}: ${value}`);
    else if (old !== value) lines.push(`~ ${escapeControls(path)}: ${old} → ${value}`);
  }
  for (const [path, value] of before) if (!after.has(path)) lines.push(`- ${escapeControls(path)}: ${value}`);
  return lines.join('\n');
}

// `approve --arguments @file.json|<json>` and `approve --edit`: the edited call an approver sends instead of the
// model's (edit on approve). The edit is read whole, shown as what changes, and confirmed like any approval.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../workflows/shared/digest.ts';
import { escapeControls } from './terminal-text.ts';

export class EditError extends Error {}

/**
 * Where JSON text first goes wrong, as a character offset: V8's messages do not always say. A small scanner of
 * the JSON grammar, iterative over nesting; run only on text JSON.parse already refused.
 */
function errorOffset(text: string): number {
  let at = 0;
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const closers: string[] = [];
  const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;
  // eslint-disable-next-line no-control-regex -- a JSON string may not hold raw control characters
  const string = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;
  for (;;) {
    space();
    // A value.
    const char = text[at];
    if (char === '{' || char === '[') {
      at++;
      space();
      if (text[at] === (char === '{' ? '}' : ']')) at++;
      else {
        closers.push(char === '{' ? '}' : ']');
        if (char === '{') {
          const key = string.exec(text.slice(at));
          if (!key) return at;
          at += key[0].length;
          space();
          if (text[at] !== ':') return at;
          at++;
        }
        continue;
      }
    } else {
      const token = (char === '"' ? string : literal).exec(text.slice(at));
      if (!token) return at;
      at += token[0].length;
    }
    // After a value: a comma (then the next member), a closer, or the end.
    for (;;) {
      space();
      const closer = closers.at(-1);
      if (closer === undefined) return at;
      if (text[at] === closer) {
        closers.pop();
        at++;
        continue;
      }
      if (text[at] !== ',') return at;
      at++;
      if (closer === '}') {
        space();
        const key = string.exec(text.slice(at));
        if (!key) return at;
        at += key[0].length;
        space();
        if (text[at] !== ':') return at;
        at++;
      }
      break;
    }
  }
}

/** Where the JSON went wrong, as line and column (editors count from 1). */
function place(text: string): string {
  const offset = errorOffset(text);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/** The edited arguments from JSON text: an object, or an error that names where the text is wrong. */
export function parseEditedArguments(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const what = (error as Error).message.split('\n')[0]!.slice(0, 120);
    throw new EditError(`${source} is not valid JSON at ${place(text)}: ${what}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new EditError(`${source} must hold a JSON object: the tool call's complete arguments`);
  return value as Record<string, unknown>;
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

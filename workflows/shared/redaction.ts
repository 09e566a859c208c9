// One redaction for every view of tool arguments (approvals, Slack, CLI, events, the round's state), by exact
// rule only: what the tool's input schema marks secret (`format: "password"` or `writeOnly: true`) and the
// dot paths the operator configured (`redact:`). Never by the look of a key name: a guess hides real payloads
// (`max_tokens`, `secretKeyRef`) from the approver and misses secrets under innocent names.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Segments of a dot path; `*` matches any key, arrays are crossed element by element. */
function secretPathsOf(schema: unknown, path: string[], out: string[][]): void {
  if (!isObject(schema)) return;
  if (schema.writeOnly === true || schema.format === 'password') {
    out.push(path);
    return;
  }
  if (isObject(schema.properties))
    for (const [key, sub] of Object.entries(schema.properties)) secretPathsOf(sub, [...path, key], out);
  if (isObject(schema.additionalProperties)) secretPathsOf(schema.additionalProperties, [...path, '*'], out);
  for (const items of [schema.items].flat()) secretPathsOf(items, path, out);
  for (const branch of ['anyOf', 'oneOf', 'allOf'] as const)
    if (Array.isArray(schema[branch])) for (const sub of schema[branch]) secretPathsOf(sub, path, out);
}

/** What a redacted value is shown as: the length of its JSON and the start of that JSON's SHA-256. */
export function redactedMarker(value: unknown): string {
  const json = canonicalJson(value);
  return `[redacted: ${json.length} chars, sha256 ${bytesToHex(sha256(utf8ToBytes(json))).slice(0, 12)}…]`;
}

function redactAt(value: unknown, path: string[], at: string, redacted: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((item, index) => redactAt(item, path, `${at}[${index}]`, redacted));
  if (path.length === 0) {
    if (value === undefined) return value;
    redacted.add(at);
    return redactedMarker(value);
  }
  if (!isObject(value)) return value;
  const [head, ...rest] = path;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      head === '*' || key === head ? redactAt(item, rest, at ? `${at}.${key}` : key, redacted) : item,
    ]),
  );
}

export interface RedactedArguments {
  /** The arguments with every secret value replaced by its marker. */
  view: Record<string, unknown>;
  /** Where values were replaced, e.g. `password` or `env[1].value`. */
  redacted: string[];
}

export function redactArguments(
  args: Record<string, unknown>,
  inputSchema: Record<string, unknown>,
  configured: readonly string[] = [],
): RedactedArguments {
  const paths: string[][] = configured.map((path) => path.split('.'));
  secretPathsOf(inputSchema, [], paths);
  const redacted = new Set<string>();
  let view = args;
  for (const path of paths) view = redactAt(view, path, '', redacted) as Record<string, unknown>;
  return { view, redacted: [...redacted].sort() };
}

/** Keys the schema's `properties` do not name, at every depth it describes them (a map's keys are not flagged). */
export function unknownKeys(args: unknown, schema: unknown, at = '', out: string[] = []): string[] {
  if (!isObject(schema)) return out;
  if (Array.isArray(args)) {
    args.forEach((item, index) => {
      for (const items of [schema.items].flat()) unknownKeys(item, items, `${at}[${index}]`, out);
    });
    return out;
  }
  if (!isObject(args) || !isObject(schema.properties)) return out;
  const properties = schema.properties;
  for (const [key, item] of Object.entries(args)) {
    const path = at ? `${at}.${key}` : key;
    if (Object.hasOwn(properties, key)) unknownKeys(item, properties[key], path, out);
    else if (!isObject(schema.additionalProperties)) out.push(path);
  }
  return out;
}

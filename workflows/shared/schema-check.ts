// A small, deterministic JSON-Schema subset checker for edited tool arguments (edit on approve). The model's own
// calls are checked by the MCP server; an approver's edit is checked here first, so that a typo is answered to
// the approver (422) instead of reaching the tool. Checked keywords: type (one or a list; `integer` is a whole
// number), enum, const, required, properties, additionalProperties (false or a schema), items (one schema),
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, minItems, maxItems. Every other
// keyword (anyOf, $ref, pattern, format...) is ignored: the tool's server still checks the call it receives.
import { canonicalJson } from '../canonical-json.ts';

type Schema = Record<string, unknown>;

/** Problems reported per edit: enough to fix it, bounded so that a hostile edit cannot flood the answer. */
const MAX_PROBLEMS = 20;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return isObject(value);
    default:
      return typeOf(value) === type;
  }
}

const at = (path: string) => path || '(the arguments)';
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function checkNode(value: unknown, schema: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_PROBLEMS || !isObject(schema)) return;
  const s: Schema = schema;
  if (s.type !== undefined) {
    const types = [s.type].flat();
    if (!types.some((type) => hasType(value, type))) {
      out.push(`${at(path)} must be of type ${types.map(String).join(' or ')}, not ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((option) => canonicalJson(option) === canonicalJson(value)))
    out.push(`${at(path)} must be one of ${s.enum.map((option) => JSON.stringify(option)).join(', ')}`);
  if (Object.hasOwn(s, 'const') && canonicalJson(s.const) !== canonicalJson(value))
    out.push(`${at(path)} must be ${JSON.stringify(s.const)}`);
  if (typeof value === 'number') checkNumber(value, s, path, out);
  if (typeof value === 'string') checkLength(value.length, s.minLength, s.maxLength, 'characters', path, out);
  if (Array.isArray(value)) {
    checkLength(value.length, s.minItems, s.maxItems, 'items', path, out);
    if (isObject(s.items)) value.forEach((item, index) => checkNode(item, s.items, `${path}[${index}]`, out));
  }
  if (isObject(value)) checkObject(value, s, path, out);
}

function checkNumber(value: number, s: Schema, path: string, out: string[]): void {
  const minimum = num(s.minimum);
  const maximum = num(s.maximum);
  const above = num(s.exclusiveMinimum);
  const below = num(s.exclusiveMaximum);
  if (minimum !== undefined && value < minimum) out.push(`${at(path)} must be at least ${minimum}`);
  if (maximum !== undefined && value > maximum) out.push(`${at(path)} must be at most ${maximum}`);
  if (above !== undefined && value <= above) out.push(`${at(path)} must be greater than ${above}`);
  if (below !== undefined && value >= below) out.push(`${at(path)} must be less than ${below}`);
}

function checkLength(length: number, min: unknown, max: unknown, unit: string, path: string, out: string[]): void {
  if (num(min) !== undefined && length < num(min)!) out.push(`${at(path)} must have at least ${num(min)} ${unit}`);
  if (num(max) !== undefined && length > num(max)!) out.push(`${at(path)} must have at most ${num(max)} ${unit}`);
}

function checkObject(value: Record<string, unknown>, s: Schema, path: string, out: string[]): void {
  const properties = isObject(s.properties) ? s.properties : {};
  if (Array.isArray(s.required))
    for (const key of s.required)
      if (typeof key === 'string' && value[key] === undefined) out.push(`${path ? `${path}.` : ''}${key} is required`);
  for (const [key, item] of Object.entries(value)) {
    const child = path ? `${path}.${key}` : key;
    if (Object.hasOwn(properties, key)) checkNode(item, properties[key], child, out);
    else if (s.additionalProperties === false) out.push(`${child} is not a property the tool takes`);
    else if (isObject(s.additionalProperties)) checkNode(item, s.additionalProperties, child, out);
  }
}

/** What keeps these arguments from satisfying the schema (within the subset above), one sentence each. */
export function schemaProblems(args: Record<string, unknown>, schema: Record<string, unknown>): string[] {
  const out: string[] = [];
  checkNode(args, schema, '', out);
  return out.slice(0, MAX_PROBLEMS);
}

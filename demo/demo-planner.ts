// The demo model's planning rules: a transparent, deterministic parser of "use <tool> with <args>" requests.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  [key: string]: unknown;
}

export interface PlannerMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
  tool_call_id?: string;
  name?: string;
}

export interface PlannerTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonSchema };
}

export interface PlanRequest {
  messages: PlannerMessage[];
  tools?: PlannerTool[];
  tool_choice?: unknown;
}

export interface PlannedToolCall {
  name: string;
  arguments: string;
}

export interface PlannedReply {
  content: string | null;
  toolCalls: PlannedToolCall[];
}

const PREFIX = '[demo model]';
const RESULT_PREVIEW_CHARS = 600;
const VERBS = new Set(['use', 'call', 'run']);

export function planReply(request: PlanRequest): PlannedReply {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const tools = offeredTools(request.tools);
  if (messages.at(-1)?.role === 'tool') return text(summarizeToolResults(messages) ?? help(tools));
  if (request.tool_choice === 'none') return text(summarizeToolResults(messages) ?? help(tools));

  const forced = forcedToolName(request.tool_choice);
  const callable = forced === undefined ? tools : tools.filter((tool) => tool.name === forced);
  const userText = lastUserText(messages);
  const toolCalls = userText === undefined ? [] : planToolCalls(userText, callable);
  return toolCalls.length > 0 ? { content: null, toolCalls } : text(help(tools));
}

function text(content: string): PlannedReply {
  return { content, toolCalls: [] };
}

interface Tool {
  name: string;
  schema: JsonSchema;
}

function offeredTools(tools: unknown): Tool[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool: Partial<PlannerTool> | null) => {
    const fn = tool?.function;
    if (typeof fn?.name !== 'string' || fn.name === '') return [];
    const schema = isObject(fn.parameters) ? (fn.parameters as JsonSchema) : {};
    return [{ name: fn.name, schema }];
  });
}

function forcedToolName(choice: unknown): string | undefined {
  if (!isObject(choice)) return undefined;
  const fn = (choice as { function?: { name?: unknown } }).function;
  return typeof fn?.name === 'string' ? fn.name : undefined;
}

// ---- replies ----

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: { text?: unknown } | null) => (typeof part?.text === 'string' ? part.text : '')).join('');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function lastUserText(messages: PlannerMessage[]): string | undefined {
  const message = messages.findLast((m) => m?.role === 'user');
  return message ? messageText(message.content) : undefined;
}

/** Quotes the tool results that follow the last assistant message with tool calls; undefined when there are none. */
function summarizeToolResults(messages: PlannerMessage[]): string | undefined {
  const callIndex = messages.findLastIndex((m) => m?.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0);
  const names = new Map<string, string>();
  for (const call of messages[callIndex]?.tool_calls ?? []) {
    if (typeof call?.id === 'string' && typeof call.function?.name === 'string') names.set(call.id, call.function.name);
  }
  const results = messages.slice(callIndex + 1).filter((m) => m?.role === 'tool');
  if (results.length === 0) return undefined;
  return results
    .map((result) => {
      const name = names.get(result.tool_call_id ?? '') ?? result.name ?? '(unknown tool)';
      const content = messageText(result.content);
      const preview = content.length > RESULT_PREVIEW_CHARS ? `${content.slice(0, RESULT_PREVIEW_CHARS)}…` : content;
      return `${PREFIX} ${name} returned: ${preview}`;
    })
    .join('\n');
}

function help(tools: Tool[]): string {
  const intro = `${PREFIX} I am toolgate's built-in demo model: a rule-based planner, not an AI.`;
  const first = tools[0];
  if (!first) return `${intro} No tools are offered, so there is nothing to call.`;
  return `${intro} Name a tool to call, e.g. "${exampleRequest(first)}". Tools available: ${tools.map((t) => t.name).join(', ')}`;
}

/** A request for the tool that the rules below parse back into valid arguments. */
function exampleRequest(tool: Tool): string {
  const properties = tool.schema.properties ?? {};
  const target = soleStringProperty(tool.schema);
  if (target !== undefined) return `use ${tool.name} with ${exampleValue(target, properties[target] ?? {}, 0)}`;
  const required = requiredProperties(tool.schema);
  const keys = required.length > 0 ? required : Object.keys(properties).slice(0, 2);
  if (keys.length === 0) return `use ${tool.name}`;
  const pairs = keys.map((key, i) => `${key} ${exampleValue(key, properties[key] ?? {}, i)}`);
  return `use ${tool.name} with ${pairs.join(' ')}`;
}

function exampleValue(key: string, schema: JsonSchema, index: number): string {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return formatValue(schema.enum[0]);
  if (schema.default !== undefined) return formatValue(schema.default);
  switch (schemaType(schema)) {
    case 'number':
    case 'integer':
      return String(index + 2);
    case 'boolean':
      return 'true';
    case 'array':
      return '["hello"]';
    case 'object':
      return '{}';
    default:
      if (/dest|target/i.test(key)) return 'notes-copy.txt';
      if (/path|file|source|dir/i.test(key)) return 'notes.txt';
      if (/url|uri/i.test(key)) return 'https://example.com';
      return 'hello';
  }
}

function formatValue(value: unknown): string {
  return typeof value === 'string' && value !== '' && !/\s/.test(value) ? value : JSON.stringify(value);
}

// ---- requests ----

/** Finds every "use|call|run <tool> [with] <args>" request in the text, in order. */
function planToolCalls(message: string, tools: Tool[]): PlannedToolCall[] {
  const tokens = tokenize(message);
  const starts: Array<{ tool: Tool; verbStart: number; argsStart: number }> = [];
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (token.kind !== 'word' || !next || !VERBS.has(bareWord(token.text).toLowerCase())) return;
    const tool = resolveTool(next.text.replace(/^[`'"]+|[`'",.:;]+$/g, ''), tools);
    if (tool) starts.push({ tool, verbStart: token.start, argsStart: next.end });
  });
  return starts.map(({ tool, argsStart }, i) => {
    const argsText = cleanArgsText(message.slice(argsStart, starts[i + 1]?.verbStart ?? message.length));
    return { name: tool.name, arguments: JSON.stringify(parseArguments(argsText, tool.schema)) };
  });
}

function bareWord(text: string): string {
  return text.replace(/^[^\w]+|[^\w]+$/g, '');
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-.]/g, '_');
}

/** Exact name first, then ignoring case and -/_/. differences, then the part after a server's `__` qualifier. */
function resolveTool(name: string, tools: Tool[]): Tool | undefined {
  if (name === '') return undefined;
  const normalized = normalizeName(name);
  return (
    tools.find((tool) => tool.name === name) ??
    tools.find((tool) => normalizeName(tool.name) === normalized) ??
    tools.find((tool) => {
      const qualifier = tool.name.lastIndexOf('__');
      return qualifier > 0 && normalizeName(tool.name.slice(qualifier + 2)) === normalized;
    })
  );
}

/** Drops a leading "with" and trailing joiners (", and then") and a sentence's final period. */
function cleanArgsText(raw: string): string {
  let text = raw.replace(/^\s*(?:with\b\s*:?|:)/i, '');
  let previous: string;
  do {
    previous = text;
    text = text
      .replace(/[\s,;]+$/, '')
      .replace(/(^|\s)(?:and|then)$/i, '')
      .replace(/(^|[^.])\.$/, '$1');
  } while (text !== previous);
  return text.trim();
}

function trimValue(raw: string): string {
  let text = raw.trim().replace(/^[=:]\s*/, '');
  let previous: string;
  do {
    previous = text;
    text = text.replace(/[\s,;]+$/, '').replace(/(^|\s)(?:and|then)$/i, '');
  } while (text !== previous);
  return text;
}

// ---- arguments ----

function parseArguments(text: string, schema: JsonSchema): Record<string, unknown> {
  if (text === '') return {};
  const tokens = tokenize(text);
  const first = tokens[0];
  if (first?.kind === 'group' && first.text.startsWith('{')) {
    const parsed = tryJson(first.text);
    if (isObject(parsed)) return parsed as Record<string, unknown>;
  }
  const properties = schema.properties ?? {};
  const pairs = keyValuePairs(text, tokens, properties);
  if (pairs) return pairs;

  const sole = soleStringProperty(schema);
  if (sole !== undefined) return { [sole]: unquote(text) };
  const required = requiredProperties(schema);
  if (required.length > 0 && tokens.length >= required.length) {
    const lastKey = required.at(-1)!;
    if (tokens.length === required.length || schemaType(properties[lastKey]) === 'string') {
      const args: Record<string, unknown> = {};
      required.forEach((key, i) => {
        const value = i < required.length - 1 ? tokens[i]!.text : text.slice(tokens[i]!.start);
        args[key] = coerce(trimValue(value), properties[key]);
      });
      return args;
    }
  }
  const keys = Object.keys(properties);
  if (keys.length === 1) return { [keys[0]!]: coerce(text, properties[keys[0]!]) };
  return {};
}

/**
 * `key value`, `key=value` and `key: value` pairs, each value running to the next key.
 * A key counts once, so a later occurrence of the same word stays part of a value.
 */
function keyValuePairs(
  text: string,
  tokens: Token[],
  properties: Record<string, JsonSchema>,
): Record<string, unknown> | undefined {
  const keysByName = new Map(Object.keys(properties).map((key) => [normalizeName(key), key]));
  const found: Array<{ key: string; tokenStart: number; valueStart: number }> = [];
  const used = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.kind !== 'word') return;
    const match = /^([A-Za-z_$][\w$.-]*?)(\s*[=:]|$)/.exec(token.text);
    if (!match) return;
    const key = keysByName.get(normalizeName(match[1]!));
    if (key === undefined || used.has(key)) return;
    if (match[2] === '' && i === tokens.length - 1) return;
    used.add(key);
    found.push({ key, tokenStart: token.start, valueStart: token.start + match[1]!.length });
  });
  if (found.length === 0) return undefined;
  const args: Record<string, unknown> = {};
  found.forEach(({ key, valueStart }, i) => {
    const value = trimValue(text.slice(valueStart, found[i + 1]?.tokenStart ?? text.length));
    if (value !== '') args[key] = coerce(value, properties[key]);
  });
  return args;
}

function requiredProperties(schema: JsonSchema): string[] {
  const properties = schema.properties ?? {};
  return Array.isArray(schema.required)
    ? schema.required.filter((key) => typeof key === 'string' && key in properties)
    : [];
}

/** The property that takes the whole text: the only required string property, else the only string property. */
function soleStringProperty(schema: JsonSchema): string | undefined {
  const properties = schema.properties ?? {};
  const isString = (key: string) => schemaType(properties[key]) === 'string';
  const required = requiredProperties(schema).filter(isString);
  if (required.length === 1) return required[0];
  const all = Object.keys(properties).filter(isString);
  return all.length === 1 ? all[0] : undefined;
}

function schemaType(schema: JsonSchema | undefined): string | undefined {
  const type = schema?.type;
  if (typeof type === 'string') return type;
  return Array.isArray(type) ? type.find((t) => t !== 'null') : undefined;
}

function coerce(raw: string, schema: JsonSchema | undefined): unknown {
  const value = unquote(raw);
  const quoted = value !== raw;
  switch (schemaType(schema)) {
    case 'string':
      return value;
    case 'number':
    case 'integer':
      return NUMBER.test(value) ? Number(value) : value;
    case 'boolean':
      if (/^(true|yes)$/i.test(value)) return true;
      if (/^(false|no)$/i.test(value)) return false;
      return value;
    case 'array': {
      const parsed = value.startsWith('[') ? tryJson(value) : undefined;
      if (Array.isArray(parsed)) return parsed;
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
        .map((item) => coerce(item, schema?.items));
    }
    case 'object': {
      const parsed = tryJson(value);
      return isObject(parsed) ? parsed : value;
    }
    default:
      if (quoted) return value;
      if (NUMBER.test(value)) return Number(value);
      if (value === 'true' || value === 'false') return value === 'true';
      if (value.startsWith('{') || value.startsWith('[')) return tryJson(value) ?? value;
      return value;
  }
}

const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"') && quotedEnd(text, 0) === text.length) {
    const parsed = tryJson(text);
    return typeof parsed === 'string' ? parsed : text.slice(1, -1);
  }
  const quote = text[0];
  if (
    text.length >= 2 &&
    (quote === "'" || quote === '`') &&
    text.endsWith(quote) &&
    quotedEnd(text, 0) === text.length
  ) {
    return text.slice(1, -1);
  }
  return text;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- tokens ----

interface Token {
  kind: 'word' | 'quoted' | 'group';
  text: string;
  start: number;
  end: number;
}

/** Splits on whitespace, keeping quoted strings and JSON objects/arrays whole so their contents never split requests. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    let kind: Token['kind'] = 'word';
    let end = -1;
    if (char === '"' || char === "'" || char === '`') {
      kind = 'quoted';
      end = quotedEnd(text, i);
    } else if (char === '{' || char === '[') {
      kind = 'group';
      end = groupEnd(text, i);
    }
    if (end < 0) {
      kind = 'word';
      end = wordEnd(text, i);
    }
    tokens.push({ kind, text: text.slice(i, end), start: i, end });
    i = end;
  }
  return tokens;
}

/** Index after the closing quote, or -1. A single quote or backtick only closes before a boundary, so "don't" stays a word. */
function quotedEnd(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i];
    if (quote === '"' && char === '\\') {
      i++;
      continue;
    }
    if (char !== quote) continue;
    if (quote === '"' || i + 1 === text.length || /[\s,;.:)\]}]/.test(text[i + 1]!)) return i + 1;
  }
  return -1;
}

/** Index after the bracket that balances the one at start, or -1. */
function groupEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      const end = quotedEnd(text, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (char === '{' || char === '[') {
      depth++;
    } else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** A word may carry a quoted or bracketed value after `=` or `:`, as in key="two words". */
function wordEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && !/\s/.test(text[i]!)) {
    const char = text[i]!;
    const afterSeparator = i > start && (text[i - 1] === '=' || text[i - 1] === ':');
    if (afterSeparator && (char === '"' || char === "'" || char === '`' || char === '{' || char === '[')) {
      const end = char === '{' || char === '[' ? groupEnd(text, i) : quotedEnd(text, i);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    i++;
  }
  return i;
}

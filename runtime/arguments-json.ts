// Edited arguments (edit on approve) as people type them, in any client (CLI, Slack): a JSON object, or where
// the text goes wrong as line and column, which V8's messages do not always say.

export type ArgumentsJson =
  | { ok: true; arguments: Record<string, unknown> }
  /** `line` and `column` count from 1, as editors do; `message` is the parser's first line. */
  | { ok: false; problem: 'syntax'; line: number; column: number; message: string }
  | { ok: false; problem: 'not_an_object' };

/**
 * Where JSON text first goes wrong, as a character offset. A small scanner of the JSON grammar, iterative over
 * nesting; run only on text JSON.parse already refused.
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

/** Where JSON text that JSON.parse refused goes wrong, as line and column (editors count from 1). */
export function jsonErrorPlace(text: string): { line: number; column: number } {
  const offset = errorOffset(text);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** The edited arguments from JSON text: an object (the tool call's complete arguments), or what is wrong. */
export function parseArgumentsJson(text: string): ArgumentsJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.slice(0, 120);
    return { ok: false, problem: 'syntax', ...jsonErrorPlace(text), message };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, problem: 'not_an_object' };
  return { ok: true, arguments: value as Record<string, unknown> };
}

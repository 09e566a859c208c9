// HTML for the console, built with one tagged template: every interpolated value is escaped for HTML and has its
// invisible characters shown as `\uXXXX` (as every channel shows model and MCP text), unless it is already Html.
import { escapeInvisible } from '../../workflows/shared/visible-text.ts';

/** Markup that is already safe: made only by `html` (or `raw` for constant strings of our own). */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | undefined | null | readonly Part[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as a person reads it in HTML: invisible characters made visible, then escaped (safe in attributes too). */
export function escapeHtml(text: string): string {
  return escapeInvisible(text).replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

function render(part: Part): string {
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  if (part === undefined || part === null || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  return new Html(
    strings.reduce((out, text, index) => out + text + (index < values.length ? render(values[index]) : ''), ''),
  );
}

/** A constant of our own, never data. */
export function raw(markup: string): Html {
  return new Html(markup);
}

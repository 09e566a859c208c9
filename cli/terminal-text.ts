// What reaches a terminal. Model, MCP and other principals' text can carry escape sequences (clear the screen,
// retitle the window, hide a link behind other text), C0/C1 controls (a carriage return that overwrites what
// was printed) and bidi controls (reverse what a person reads). On a terminal they are removed from every line
// the CLI writes; a pipe or file gets the bytes unchanged.

/* eslint-disable no-control-regex -- control characters are what these find */
/**
 * CSI (ESC [ or C1 CSI) with its parameters and final byte; OSC, DCS, SOS, PM and APC strings (ESC ] P X ^ _, or
 * their C1 forms) through BEL or ST; any other ESC with its intermediates and final byte. An unterminated string
 * loses its introducer only, so the text after it stays readable.
 */
const SEQUENCE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)|\u001b[\u0020-\u002f]*[\u0030-\u007e]/g;
/** What is left: C0 but tab and line feed, DEL, C1, and the bidi marks, embeddings, overrides and isolates. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** `text` with every escape sequence, control character (but \n and \t) and bidi control removed. */
export function stripControls(text: string): string {
  return text.replace(SEQUENCE, '').replace(CONTROL, '');
}

/**
 * JSON for a terminal: the same characters as `\uXXXX` escapes, so the document parses to the same value.
 * JSON.stringify leaves C1 and bidi raw inside strings; anywhere else in its output only \n can occur.
 */
export function escapeControls(json: string): string {
  return json.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** How a line goes to `stream`: changed only on a terminal, and then JSON stays JSON. */
export function forStream(stream: { isTTY?: boolean }, json: boolean): (text: string) => string {
  if (!stream.isTTY) return (text) => text;
  return json ? escapeControls : stripControls;
}

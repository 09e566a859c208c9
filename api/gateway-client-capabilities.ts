// What an MCP client declared in `initialize` that the gateway acts on (form elicitation), for a stateless /mcp:
// the tools/call that could use it is another POST, maybe to another replica, and no Server remembers the
// handshake. The gateway hands the note back as the client's Mcp-Session-Id, which clients send on every later
// request. It is no session (nothing is stored, no request needs it, any replica reads it) and it needs no
// signature: a client that misstates it misstates only what it can do itself.
import type { IncomingHttpHeaders } from 'node:http';
import { InitializeRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const NOTE_PREFIX = 'toolgate-caps.';
const FORM_ELICITATION = 'elicit-form';

export interface ClientCapabilityNote {
  /** The client takes `elicitation/create` in form mode (an empty `elicitation` capability means form). */
  elicitationForm: boolean;
}

/** The note for an `initialize` request's response header, or undefined for any other body. */
export function capabilityNote(body: unknown): string | undefined {
  const initialize = InitializeRequestSchema.safeParse(body);
  if (!initialize.success) return undefined;
  const elicitation = initialize.data.params.capabilities.elicitation;
  const form = elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined);
  return `${NOTE_PREFIX}${form ? FORM_ELICITATION : 'none'}`;
}

/** What the request's note says the client takes; a client without one takes nothing the gateway would ask. */
export function noteOf(headers: IncomingHttpHeaders): ClientCapabilityNote {
  const session = headers['mcp-session-id'];
  const note = typeof session === 'string' && session.startsWith(NOTE_PREFIX) ? session.slice(NOTE_PREFIX.length) : '';
  return { elicitationForm: note.split('+').includes(FORM_ELICITATION) };
}

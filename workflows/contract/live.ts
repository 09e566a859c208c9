// What a round's clients see live beside its durable events: the model's text as it streams. Never in history:
// the worker running the LLM call serves it from memory, the API relays it, and it is best-effort (a client
// that reconnects gets the durable events again and only the tokens still held for the current step).
import { z } from 'zod';

const Live = { step: z.number().int().min(1), attempt: z.number().int().min(1) };

export const LiveEvent = z.discriminatedUnion('type', [
  /** A text delta of the model's reply, in order: `seq` counts from 0 within one attempt of one step. */
  z.object({ type: z.literal('token'), ...Live, seq: z.number().int().min(0), text: z.string() }),
  /** Reasoning text, where a model sends it apart from the reply. */
  z.object({ type: z.literal('reasoning'), ...Live, seq: z.number().int().min(0), text: z.string() }),
  /** The call of this step is being made again (a retry, another worker): drop its tokens received so far. */
  z.object({ type: z.literal('token_reset'), ...Live }),
]);
export type LiveEvent = z.infer<typeof LiveEvent>;
export type LiveEventType = LiveEvent['type'];

/** Signed by the API (its Ed25519 key) to read a round's live events from a worker; valid for a minute. */
export function liveStreamSigningText(roundId: string, issuedAt: string): string {
  return `toolgate live v1\n${roundId}\n${issuedAt}`;
}

import { z } from 'zod';
import { ChatMessage } from './conversation.ts';
import { SealedCredential } from './credentials.ts';
import { MAX_STEPS_LIMIT } from './names.ts';
import { Signature } from './signatures.ts';

/** What starts a round. Rounds may also be started by hand (`temporal workflow start`), so the round checks it. */
export const QueryRoundInput = z.object({
  query: z
    .string('query must be a non-empty string')
    .refine((query) => query.trim() !== '', 'query must be a non-empty string'),
  /** Principal id of the person asking; approvers may be barred from deciding their own calls. */
  requester: z.string('requester must be a non-empty string').min(1, 'requester must be a non-empty string'),
  /** Earlier conversation, e.g. the transcript of a previous round. */
  messages: z.array(ChatMessage).optional(),
  /** The requester's own credentials, by server, sealed by the API (never in plaintext). */
  credentials: z.record(z.string(), SealedCredential).optional(),
  /** Restrict the round to these configured MCP servers. */
  servers: z.array(z.string().min(1)).optional(),
  maxSteps: z
    .number(`maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .int(`maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .min(1, `maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .max(MAX_STEPS_LIMIT, `maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .optional(),
  /** The round this input starts, as its signer named it: a signed input starts no other round. */
  roundId: z.string().min(1, 'roundId must be a non-empty string').optional(),
  /** When the signer started the round (ISO time); the round refuses it when far from its own start. */
  startedAt: z
    .string('startedAt must be an ISO time')
    .refine((value) => !Number.isNaN(Date.parse(value)), 'startedAt must be an ISO time')
    .optional(),
  /** The API's signature over every other field; rounds since patch `signed-decisions` refuse to run without it. */
  signature: Signature.optional(),
});
export type QueryRoundInput = z.infer<typeof QueryRoundInput>;

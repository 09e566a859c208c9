import { z } from 'zod';
import { ChatMessage } from './conversation.ts';
import { SealedCredential } from './credentials.ts';
import { MAX_STEPS_LIMIT, MAX_TOOL_CALLS_PER_REPLY_LIMIT } from './names.ts';
import { TokenQuota } from './quota.ts';
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
  /**
   * A round without an LLM (the MCP gateway's tools/call, docs/gateway.md): this one call, named as the gateway
   * lists it (`server__tool`), runs as the round's only step through the same policy, gate and execution as a
   * model's call; the round's answer is what the call returned.
   */
  toolCall: z
    .strictObject({
      name: z.string().min(1, 'toolCall.name must be a non-empty string'),
      arguments: z.record(z.string(), z.unknown()),
    })
    .optional(),
  maxSteps: z
    .number(`maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .int(`maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .min(1, `maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .max(MAX_STEPS_LIMIT, `maxSteps must be an integer from 1 to ${MAX_STEPS_LIMIT}`)
    .optional(),
  /** Tool calls of one model reply that run (default 8): the rest are not run, and the model is told which. */
  maxToolCallsPerReply: z
    .number(`maxToolCallsPerReply must be an integer from 1 to ${MAX_TOOL_CALLS_PER_REPLY_LIMIT}`)
    .int(`maxToolCallsPerReply must be an integer from 1 to ${MAX_TOOL_CALLS_PER_REPLY_LIMIT}`)
    .min(1, `maxToolCallsPerReply must be an integer from 1 to ${MAX_TOOL_CALLS_PER_REPLY_LIMIT}`)
    .max(
      MAX_TOOL_CALLS_PER_REPLY_LIMIT,
      `maxToolCallsPerReply must be an integer from 1 to ${MAX_TOOL_CALLS_PER_REPLY_LIMIT}`,
    )
    .optional(),
  /** The requester's LLM token quota as the API found it; absent: the round has no token limit of its own. */
  quota: TokenQuota.optional(),
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

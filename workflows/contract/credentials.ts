import { z } from 'zod';

/**
 * A requester's credential for one MCP server, sealed by the API with the codec's key (AES-256-GCM) before it
 * enters a round: history, memo and state only ever hold this. The worker opens it for the call itself.
 */
export const SealedCredential = z.object({
  keyId: z.string(),
  /** base64 of IV, ciphertext and tag. */
  sealed: z.string(),
  /** After this the credential is refused, even for a call approved in time. */
  expiresAt: z.string(),
});
export type SealedCredential = z.infer<typeof SealedCredential>;

// Signatures the API puts on what it sends a round (decisions, round input), so that a round can tell them from
// what anyone with write access to the namespace could send (docs/operations.md, "Signed decisions").
import { z } from 'zod';

/** Ed25519 over the canonical JSON of the signed fields (workflows/shared/signatures.ts). */
export const Signature = z.object({
  /** Which of the workers' `signing.publicKeys` verifies it. */
  keyId: z.string().min(1, 'signature.keyId is missing'),
  /** The 64-byte signature, hex. */
  sig: z.string().regex(/^[0-9a-f]{128}$/, 'signature.sig must be 128 hex characters'),
});
export type Signature = z.infer<typeof Signature>;

/** A public key the round verifies signatures with, as the worker hands it over (raw 32 bytes, hex). */
export const SigningPublicKey = z.object({ id: z.string(), key: z.string() });
export type SigningPublicKey = z.infer<typeof SigningPublicKey>;

// The signature check of one round's decisions. An update's handler is handed the very decision its validator
// checked a moment before (decoded once more), so the last decision that verified is remembered with the exact text
// and signature it verified for: Ed25519, the costliest step of a decision in the workflow, runs once per update.
import type { DecisionRequest } from './contract/decisions.ts';
import type { SigningPublicKey } from './contract/signatures.ts';
import { decisionSigningText, signatureProblem } from './shared/signatures.ts';

export class DecisionSignatures {
  private readonly keys: readonly SigningPublicKey[];
  private verified: { text: string; keyId: string; sig: string } | undefined;

  constructor(keys: readonly SigningPublicKey[]) {
    this.keys = keys;
  }

  /** Why the decision's signature does not vouch for it with one of the round's keys, or undefined when it does. */
  problem(request: DecisionRequest): string | undefined {
    const text = decisionSigningText(request);
    const { signature } = request;
    const last = this.verified;
    if (signature && last?.text === text && last.keyId === signature.keyId && last.sig === signature.sig)
      return undefined;
    const problem = signatureProblem(text, signature, this.keys);
    if (!problem && signature) this.verified = { text, keyId: signature.keyId, sig: signature.sig };
    return problem;
  }
}

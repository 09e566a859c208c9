// The API signs with Node's Ed25519, rounds verify with the pure-JS one of the workflow sandbox: the two must
// agree byte for byte (Ed25519 signatures are deterministic), or no round would accept what the API sends.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { Signer } from '../../runtime/signing.ts';
import {
  decisionSigningText,
  roundSigningText,
  signText,
  signatureProblem,
} from '../../workflows/shared/signatures.ts';

const secret = randomBytes(32).toString('hex');
const keys = [{ id: 'k1', key: Buffer.from(ed25519.getPublicKey(Buffer.from(secret, 'hex'))).toString('hex') }];
const signer = new Signer('k1', secret);

describe('Signer', () => {
  it('signs a round input exactly as the workflow code would, and the round accepts it', () => {
    const input = signer.roundInput('round-1', { query: 'héllo ✓ 🙂', requester: 'carol' });
    const text = roundSigningText(input);
    expect(input.signature).toEqual(signText(text, 'k1', secret));
    expect(signatureProblem(text, input.signature, keys)).toBeUndefined();
  });

  it('signs decisions that verify, and none that passes for another decision', () => {
    const decision = signer.decision({
      approvalId: 'round-1.1.0',
      decision: 'approve',
      argsDigest: 'a'.repeat(64),
      approver: { id: 'alice', channel: 'cli' },
      receivedAt: '2026-12-07T00:00:00.000Z',
    });
    expect(signatureProblem(decisionSigningText(decision), decision.signature, keys)).toBeUndefined();
    const rejected = { ...decision, decision: 'reject' as const };
    expect(signatureProblem(decisionSigningText(rejected), decision.signature, keys)).toMatch(/does not match/);
  });
});

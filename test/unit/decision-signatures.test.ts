// A round remembers the last decision whose signature verified, so that an update's handler does not verify again
// what its validator just did: the memory must never let through a decision that differs in anything signed.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { Signer } from '../../runtime/signing.ts';
import { DecisionSignatures } from '../../workflows/decision-signatures.ts';
import type { DecisionRequest } from '../../workflows/contract.ts';

const secret = randomBytes(32).toString('hex');
const keys = [{ id: 'k1', key: Buffer.from(ed25519.getPublicKey(Buffer.from(secret, 'hex'))).toString('hex') }];
const signer = new Signer('k1', secret);

const decision = signer.decision({
  approvalId: 'round-1.1.0',
  decision: 'approve',
  argsDigest: 'a'.repeat(64),
  approver: { id: 'alice', channel: 'http' },
  receivedAt: '2026-12-07T00:00:00.000Z',
});

describe('DecisionSignatures', () => {
  it('accepts the decision its validator checked when the handler checks it again (decoded anew)', () => {
    const signatures = new DecisionSignatures(keys);
    expect(signatures.problem(decision)).toBeUndefined();
    expect(signatures.problem(structuredClone(decision))).toBeUndefined();
  });

  it('refuses, right after a valid decision, one that differs in anything signed but carries its signature', () => {
    const signatures = new DecisionSignatures(keys);
    expect(signatures.problem(decision)).toBeUndefined();
    const forged: DecisionRequest[] = [
      { ...decision, decision: 'reject' },
      { ...decision, approver: { id: 'mallory', channel: 'http' } },
      { ...decision, approver: { id: 'alice', channel: 'slack' } },
      { ...decision, argsDigest: 'b'.repeat(64) },
      { ...decision, receivedAt: '2026-12-07T00:00:00.001Z' },
      { ...decision, approvalId: 'round-1.1.1' },
      { ...decision, reason: 'fine' },
    ];
    for (const request of forged) expect(signatures.problem(request)).toMatch(/does not match its content/);
    // Still remembered after the refusals: the valid one passes, a changed signature or key id does not.
    expect(signatures.problem(decision)).toBeUndefined();
    const sig = `${decision.signature!.sig.slice(0, -2)}00`;
    expect(signatures.problem({ ...decision, signature: { keyId: 'k1', sig } })).toMatch(/does not match/);
    expect(signatures.problem({ ...decision, signature: { ...decision.signature!, keyId: 'k2' } })).toMatch(
      /does not know/,
    );
    expect(signatures.problem({ ...decision, signature: undefined })).toBe('it is not signed');
  });
});

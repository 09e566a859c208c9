// The key pair every test, the benchmark and the fault-injection runs sign with, fixed so that configs written
// for child processes and recorded histories agree with the signer in the test process.
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { formatLiveAuthorization } from '../runtime/live-authorization.ts';
import { Signer } from '../runtime/signing.ts';
import { liveStreamSigningText, type DecisionRequest } from '../workflows/contract.ts';
import { signText } from '../workflows/shared/signatures.ts';

const secret = createHash('sha256').update('toolgate test signing key').digest();

export const TEST_KEY_ID = 'test-k1';
export const TEST_PRIVATE_KEY = secret.toString('base64');
export const TEST_PUBLIC_KEY = Buffer.from(ed25519.getPublicKey(secret)).toString('base64');

/** The config's `signing` section: the API signs with the test key, workers verify with it. */
export const TEST_SIGNING = {
  privateKey: { id: TEST_KEY_ID, key: TEST_PRIVATE_KEY },
  publicKeys: [{ id: TEST_KEY_ID, key: TEST_PUBLIC_KEY }],
};

export const testSigner = new Signer(TEST_KEY_ID, secret.toString('hex'));

/** A decision as the API would send it: signed with the test key. */
export function signedDecision(request: Omit<DecisionRequest, 'signature'>): DecisionRequest {
  return testSigner.decision(request);
}

/** The `authorization` header an API replica sends a worker's live server for a round, signed with the test key. */
export function testLiveAuthorization(
  roundId: string,
  issuedAt = new Date().toISOString(),
  keyId = TEST_KEY_ID,
): string {
  const signature = signText(liveStreamSigningText(roundId, issuedAt), keyId, secret.toString('hex'));
  return formatLiveAuthorization(signature, issuedAt);
}

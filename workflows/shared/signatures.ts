// What the API signs and the round verifies: Ed25519 (pure JS, so it runs in the workflow sandbox) over the
// canonical JSON of the signed fields, with a purpose string so that no signature of one kind passes as another.
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.ts';
import type { DecisionRequest, QueryRoundInput, Signature, SigningPublicKey } from '../contract.ts';

/** The fields of a decision its signature covers: everything the round applies or records of it. */
export function decisionSigningText(request: DecisionRequest): string {
  return canonicalJson({
    purpose: 'toolgate decision v1',
    approvalId: request.approvalId,
    decision: request.decision,
    argsDigest: request.argsDigest,
    approver: { id: request.approver.id, channel: request.approver.channel },
    receivedAt: request.receivedAt,
    reason: request.reason,
    // Absent without an edit, so the text (and every signature made before edits existed) stays the same.
    editedArgsDigest: request.editedArgsDigest,
    // canonicalJson leaves out undefined keys: a decision without a preview digest signs the same text as before.
    previewDigest: request.previewDigest,
    // Only when present: a decision without it signs exactly as before, so older histories still verify.
    ...(request.remember === undefined ? {} : { remember: request.remember }),
  });
}

/** A round input's signature covers all of it (round id, requester, query, conversation, sealed credentials...). */
export function roundSigningText(input: QueryRoundInput): string {
  const { signature: _unsigned, ...signed } = input;
  return canonicalJson({ purpose: 'toolgate round v1', input: signed });
}

/** Signs with a 32-byte Ed25519 secret key (hex). */
export function signText(text: string, keyId: string, secretKey: string): Signature {
  return { keyId, sig: bytesToHex(ed25519.sign(utf8ToBytes(text), hexToBytes(secretKey))) };
}

/** Why the signature does not vouch for the text with one of the keys, or undefined when it does. */
export function signatureProblem(
  text: string,
  signature: Signature | undefined,
  keys: readonly SigningPublicKey[],
): string | undefined {
  if (!signature) return 'it is not signed';
  const key = keys.find((candidate) => candidate.id === signature.keyId);
  if (!key) return `it is signed with key '${signature.keyId}', which this round does not know`;
  let valid: boolean;
  try {
    valid = ed25519.verify(hexToBytes(signature.sig), utf8ToBytes(text), hexToBytes(key.key), { zip215: false });
  } catch {
    valid = false;
  }
  return valid ? undefined : `its signature (key '${signature.keyId}') does not match its content`;
}

// How an API replica proves to a worker that it may read a round's live events: the `authorization` header
// `ToolgateLive keyId=<id>,sig=<hex>,at=<ISO time>`, signed with the API's key over liveStreamSigningText.
import { z } from 'zod';
import { Signature, liveStreamSigningText, type SigningPublicKey } from '../workflows/contract.ts';
import { signatureProblem } from '../workflows/shared/signatures.ts';

/** How far the header's time may be from the worker's clock, either way. */
export const LIVE_AUTH_MAX_SKEW_MS = 60_000;

const HEADER = /^ToolgateLive keyId=([^,\s]+),sig=([^,\s]+),at=(\S+)$/;
const Parts = z.object({ signature: Signature, at: z.iso.datetime() });

export function formatLiveAuthorization(signature: Signature, issuedAt: string): string {
  return `ToolgateLive keyId=${signature.keyId},sig=${signature.sig},at=${issuedAt}`;
}

/** Why the header does not let its bearer read the round's live events now, or undefined when it does. */
export function liveAuthorizationProblem(
  header: string | undefined,
  roundId: string,
  keys: readonly SigningPublicKey[],
  now = Date.now(),
): string | undefined {
  const match = HEADER.exec(header ?? '');
  if (!match) return 'no ToolgateLive authorization';
  const parsed = Parts.safeParse({ signature: { keyId: match[1], sig: match[2] }, at: match[3] });
  if (!parsed.success) return 'malformed ToolgateLive authorization';
  const { signature, at } = parsed.data;
  if (Math.abs(now - Date.parse(at)) > LIVE_AUTH_MAX_SKEW_MS) return 'expired or future ToolgateLive authorization';
  return signatureProblem(liveStreamSigningText(roundId, at), signature, keys);
}

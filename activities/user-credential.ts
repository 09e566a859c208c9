// Opens the requester's sealed credential for the one call that needs it, as the header its server expects.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type SealedCredential } from '../workflows/contract.ts';
import type { ServerConfig } from '../runtime/config.ts';
import { openCredential } from '../runtime/credentials.ts';
import type { CodecKey } from '../runtime/payload-codec.ts';

function refused(message: string): ApplicationFailure {
  // Not sent, and sending again cannot help: the model is told the call was not authorized.
  return ApplicationFailure.create({ type: FailureType.McpUnauthorized, message, nonRetryable: true });
}

export function credentialHeaders(
  server: ServerConfig,
  credential: SealedCredential,
  roundId: string,
  keys: CodecKey[],
  now: number = Date.now(),
): Record<string, string> {
  const settings = server.transport === 'http' ? server.userCredential : undefined;
  if (!settings) throw refused(`server '${server.name}' is not configured to take the requester's credential`);
  // The workflow checked when it asked; the activity may run later (a retry, a busy worker).
  if (Date.parse(credential.expiresAt) <= now)
    throw refused(`the requester's credential expired at ${credential.expiresAt}`);
  let token: string;
  try {
    token = openCredential(keys, credential, { roundId, server: server.name });
  } catch (error) {
    throw refused(`the requester's credential cannot be opened on this worker: ${(error as Error).message}`);
  }
  return { [settings.header]: settings.scheme ? `${settings.scheme} ${token}` : token };
}

// Opens the requester's sealed credential for the one call that needs it, as the header its server expects.
// Which round and requester it is opened for comes from Temporal (the activity's own run and that run's input),
// never from the request: a credential copied into another run does not open there.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, QueryRoundInput, type SealedCredential } from '../workflows/contract.ts';
import type { ServerConfig } from '../runtime/config.ts';
import { openCredential, type CredentialBinding } from '../runtime/credentials.ts';
import type { CodecKey } from '../runtime/payload-codec.ts';
import { listRuns, startInputOf } from '../runtime/round-runs.ts';

function refused(message: string): ApplicationFailure {
  // Not sent, and sending again cannot help: the model is told the call was not authorized.
  return ApplicationFailure.create({ type: FailureType.McpUnauthorized, message, nonRetryable: true });
}

const carries = (input: unknown, credential: SealedCredential): boolean =>
  Object.values(QueryRoundInput.safeParse(input).data?.credentials ?? {}).some(
    (candidate) => candidate.sealed === credential.sealed,
  );

/**
 * The header for this run's call: the run's own input must hold the credential and name its requester (the seal
 * covers round, server, requester and expiry), and no other run of the round id may hold it. The run id is
 * unknown when the API seals, so the sealed value, unique by its IV, stands for the run: a namespace writer who
 * reuses a closed round's id with a copy of its input gets the call refused.
 */
export async function credentialHeadersForRun(
  client: Client,
  run: { workflowId: string; runId: string },
  server: ServerConfig,
  credential: SealedCredential,
  keys: CodecKey[],
): Promise<Record<string, string>> {
  const own = QueryRoundInput.safeParse(await startInputOf(client, run.workflowId, run.runId)).data;
  if (own?.credentials?.[server.name]?.sealed !== credential.sealed)
    throw refused("the requester's credential is not the one this round was started with");
  const binding = { roundId: run.workflowId, server: server.name, requester: own.requester };
  const headers = credentialHeaders(server, credential, binding, keys);
  for (const other of await listRuns(client, run.workflowId)) {
    if (other.runId !== run.runId && carries(await startInputOf(client, run.workflowId, other.runId), credential))
      throw refused(`the requester's credential was issued for another run of round ${run.workflowId}`);
  }
  return headers;
}

export function credentialHeaders(
  server: ServerConfig,
  credential: SealedCredential,
  binding: CredentialBinding,
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
    token = openCredential(keys, credential, binding);
  } catch (error) {
    throw refused(`the requester's credential cannot be opened on this worker: ${(error as Error).message}`);
  }
  return { [settings.header]: settings.scheme ? `${settings.scheme} ${token}` : token };
}

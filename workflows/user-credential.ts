// The requester's own credential for a tool's server: looked up before the approval is asked for (no human is
// bothered for a call that cannot run) and again once it is granted (the credential may have expired while the
// approvers thought). Workflow time is deterministic, so replays take the same branch.
import type { SealedCredential, ToolDescriptor } from './contract.ts';
import { credentialExpiredMessage, credentialMissingMessage } from './model-messages.ts';

export type CredentialCheck = { ok: true; credential?: SealedCredential } | { ok: false; content: string };

export function credentialFor(
  credentials: Record<string, SealedCredential> | undefined,
  tool: ToolDescriptor,
  now: number,
): CredentialCheck {
  const wanted = tool.policy.userCredential;
  if (!wanted) return { ok: true };
  const credential = credentials?.[tool.server];
  if (!credential) {
    return wanted.required ? { ok: false, content: credentialMissingMessage(tool.name, tool.server) } : { ok: true };
  }
  if (Date.parse(credential.expiresAt) <= now) {
    return { ok: false, content: credentialExpiredMessage(tool.name, credential.expiresAt) };
  }
  return { ok: true, credential };
}

// Fingerprints of the policy-relevant configuration: what decides whether a call needs approval and who decides
// it. Commands, URLs, headers, tokens and keys stay out, so a fingerprint says nothing about a secret, and a
// change that does not touch policy (a new LLM model, a rotated token) does not make waiting rounds re-check.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../workflows/shared/digest.ts';
import type { ServerConfig, ToolgateConfig } from './config.ts';

function serverPolicy(server: ServerConfig) {
  return {
    name: server.name,
    trusted: server.trusted,
    openWorld: server.openWorld,
    approval: server.approval,
    approvers: server.approvers ?? null,
    allowSelfApproval: server.allowSelfApproval ?? null,
    quorum: server.quorum ?? null,
    rejectWith: server.rejectWith ?? null,
    approvalTimeout: server.approvalTimeout ?? null,
    rules: server.rules,
    redact: server.redact,
    timeout: server.timeout,
    retry: server.retry,
    userCredential: server.transport === 'http' && server.userCredential ? server.userCredential.required : null,
    tools: server.tools,
  };
}

/** The settings a fingerprint covers, in a stable shape (servers by name). */
export function policySettings(config: ToolgateConfig) {
  const { timeout, approvers, allowSelfApproval, groups, rejectWith, recheck } = config.approvals;
  return {
    approvals: { timeout, approvers, allowSelfApproval, groups, rejectWith, release: recheck.releaseWhenLoosened },
    servers: [...config.servers].sort((a, b) => a.name.localeCompare(b.name)).map(serverPolicy),
  };
}

/** `cfg-` and the first 16 hex digits of the SHA-256 of the canonical JSON of the policy settings. */
export function configFingerprint(config: ToolgateConfig): string {
  return `cfg-${createHash('sha256')
    .update(canonicalJson(policySettings(config)))
    .digest('hex')
    .slice(0, 16)}`;
}
